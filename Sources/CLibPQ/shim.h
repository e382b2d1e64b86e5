#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <poll.h>
#include <errno.h>
#include <unistd.h>

/// errno as a function: Swift cannot read the thread-local macro uniformly.
static inline int cpq_errno(void) { return errno; }

/// PG_DIAG_* are character-literal macros, which Swift does not import.
static inline int cpq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int cpq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int cpq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int cpq_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }

/// Waits until the connection's socket or `wakeFD` (a pipe's read end, -1 for
/// none) is readable, or `timeoutMs` elapses. Returns 0 on timeout, 1 when the
/// connection is readable, 2 when only the wake descriptor is, -1 on error.
/// Retries on EINTR so a signal never looks like a timeout.
static inline int cpq_wait_readable(PGconn *conn, int wakeFD, int timeoutMs) {
    struct pollfd pfd[2];
    pfd[0].fd = PQsocket(conn);
    pfd[0].events = POLLIN;
    pfd[0].revents = 0;
    pfd[1].fd = wakeFD;
    pfd[1].events = POLLIN;
    pfd[1].revents = 0;
    if (pfd[0].fd < 0) return -1;
    int rc;
    do { rc = poll(pfd, wakeFD >= 0 ? 2 : 1, timeoutMs); } while (rc < 0 && errno == EINTR);
    if (rc <= 0) return rc;
    if (pfd[0].revents) return 1;
    return 2;
}

#endif
