"""Schemathesis hooks for Reel's API (SCHEMATHESIS_HOOKS=schemathesis_hooks,
with this folder on PYTHONPATH; Tests/ReelAPITests/SchemathesisTests.swift).

- The resumable upload's chunks are `application/offset+octet-stream` (the
  tus media type): raw bytes, which schemathesis cannot serialize by itself.
- Real ids: a path parameter that schemathesis generated valid (by the
  spec's own schema) is replaced, just before the call, by an id that exists
  (REEL_CONTRACT_VIDEO, REEL_CONTRACT_DELETE_VIDEO for DELETE, _UPLOAD and
  _DELETE_UPLOAD for tus termination, _DIRECT and _DELETE_DIRECT for direct
  upload URLs, _HOOK and _DELETE_HOOK for webhook endpoints, _JOB),
  so the requests reach the handlers instead of stopping at 404. A value
  generated invalid on purpose is left alone: the API must refuse it.
"""

import os
import re

import schemathesis
from schemathesis.transport.requests import serialize_binary

VIDEO_ID = re.compile(r"^[0-9A-Za-z]{8,32}$")


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    return {"data": serialize_binary(value)}


@schemathesis.hook
def before_call(context, case, kwargs):
    params = case.path_parameters
    if not params:
        return
    deleting = case.operation.method.upper() == "DELETE"
    video = os.environ.get("REEL_CONTRACT_DELETE_VIDEO" if deleting else "REEL_CONTRACT_VIDEO")
    if video and isinstance(params.get("id"), str) and VIDEO_ID.match(params["id"]):
        params["id"] = video
    upload = os.environ.get("REEL_CONTRACT_DELETE_UPLOAD" if deleting else "REEL_CONTRACT_UPLOAD")
    if upload and isinstance(params.get("upload"), str):
        params["upload"] = upload
    direct = os.environ.get("REEL_CONTRACT_DELETE_DIRECT" if deleting else "REEL_CONTRACT_DIRECT")
    if direct and isinstance(params.get("secret"), str):
        params["secret"] = direct
    hook = os.environ.get("REEL_CONTRACT_DELETE_HOOK" if deleting else "REEL_CONTRACT_HOOK")
    if hook and isinstance(params.get("hook"), int) and not isinstance(params.get("hook"), bool) and params["hook"] >= 1:
        params["hook"] = int(hook)
    if os.environ.get("REEL_CONTRACT_JOB") and isinstance(params.get("job"), int) and not isinstance(params.get("job"), bool):
        params["job"] = int(os.environ["REEL_CONTRACT_JOB"])
    if isinstance(params.get("rendition"), str) and params["rendition"]:
        params["rendition"] = "360p"
