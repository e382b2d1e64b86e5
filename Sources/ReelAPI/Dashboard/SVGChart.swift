/// A small line chart as inline SVG, so the dashboard draws its charts with
/// no JavaScript and no chart library: one point per minute, scaled to the
/// series' own maximum (printed beside the chart).
struct SVGChart {
    let values: [Double]
    var width = 300
    var height = 60

    /// The chart's SVG: an area under a line, with a baseline; a flat line when every value is 0.
    var svg: String {
        let top = max(values.max() ?? 0, 1e-9)
        let step = values.count > 1 ? Double(width) / Double(values.count - 1) : 0
        let points = values.enumerated().map { index, value in
            let x = Double(index) * step
            let y = Double(height) - (value / top) * Double(height - 4) - 2
            return "\(format(x)),\(format(y))"
        }
        let line = points.joined(separator: " ")
        let area = "0,\(height) " + line + " \(format(Double(values.count > 1 ? width : 0))),\(height)"
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img">\
            <polygon points="\(area)" fill="#dbe7ff"/><polyline points="\(line)" fill="none" stroke="#2f6fde" stroke-width="1.5"/>\
            <line x1="0" y1="\(height - 1)" x2="\(width)" y2="\(height - 1)" stroke="#ccc"/></svg>
            """
    }

    /// The maximum as the label shows it: whole numbers plain, others to one decimal.
    var maximumLabel: String {
        let top = values.max() ?? 0
        return top == top.rounded() ? String(Int(top)) : format(top)
    }

    private func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}
