"""SigV4 verification of incoming EC2 Query requests, independent of the client's signer.

The canonical request is rebuilt from what arrived on the wire (method, path, decoded query
parameters re-encoded canonically, the *signed* headers only, body hash) and signed with
botocore's SigV4Auth; the result is compared with the client's signature.
"""
import calendar
import datetime
import email.utils
import hashlib
import hmac
import time
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from sbxmodel import ApiError

MAX_SKEW_S = 300
BAD_CREDS = "AWS was not able to validate the provided access credentials"


class _Verifier(SigV4Auth):
    def headers_to_sign(self, request):
        # exactly the headers the client listed in SignedHeaders (no blacklist, no defaults)
        hm = HTTPHeaders()
        for name, value in request.headers.items():
            hm[name.lower()] = value
        return hm


def _parse_amz_date(s):
    try:
        t = time.strptime(s, "%Y%m%dT%H%M%SZ")
        return calendar.timegm(t)
    except ValueError:
        return None


def _credential_scope(credential, keys, regions, malformed):
    """AKID/DATE/REGION/ec2/aws4_request checked as EC2 does: (akid, date, region). MALFORMED is
    the (code, status) for a credential of another shape (it differs between header and query)."""
    cred = credential.split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        raise ApiError(malformed[0], "Credential should have exactly 5 slash-separated components", malformed[1])
    akid, scope_date, region, service, _ = cred
    if akid not in keys:
        raise ApiError("AuthFailure", BAD_CREDS, 401)
    if region not in regions:
        raise ApiError("AuthFailure", "Credential should be scoped to a valid region, not '%s'." % region, 401)
    if service != "ec2":
        raise ApiError("AuthFailure", "Credential should be scoped to correct service: 'ec2'.", 401)
    return akid, scope_date, region


def verify(method, path, query_pairs, headers, body, keys, regions, session_token=None, now=None):
    """Returns (access_key_id, region). Raises ApiError on any failure.

    headers: list of (name, value) as received. keys: {akid: secret}.
    """
    hmap = {}
    for k, v in headers:
        lk = k.lower()
        hmap[lk] = v if lk not in hmap else hmap[lk] + "," + v
    auth = hmap.get("authorization")
    if not auth:
        raise ApiError("MissingAuthenticationToken", "Request is missing Authentication Token", 401)
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        raise ApiError("IncompleteSignature", "Unsupported authorization type", 400)
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k.strip()] = v.strip()
    for req in ("Credential", "SignedHeaders", "Signature"):
        if req not in fields:
            raise ApiError("IncompleteSignature",
                           "Authorization header requires '%s' parameter. Authorization=%s" % (req, auth), 400)
    akid, scope_date, region = _credential_scope(fields["Credential"], keys, regions,
                                                 ("IncompleteSignature", 400))
    signed = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
    if "host" not in signed:
        raise ApiError("AuthFailure", "'Host' must be a 'SignedHeader' in the AWS Authorization.", 401)
    if "x-amz-date" in hmap:
        amz_date = hmap["x-amz-date"]
        ts = _parse_amz_date(amz_date)
        if "x-amz-date" not in signed:
            raise ApiError("AuthFailure", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.", 401)
    elif "date" in hmap:
        try:
            ts = email.utils.parsedate_to_datetime(hmap["date"]).timestamp()
            amz_date = datetime.datetime.utcfromtimestamp(ts).strftime("%Y%m%dT%H%M%SZ")
        except (TypeError, ValueError):
            ts = None
    else:
        raise ApiError("IncompleteSignature", "Authorization header requires existence of either a "
                       "'X-Amz-Date' or a 'Date' header. Authorization=%s" % auth, 400)
    if ts is None:
        raise ApiError("AuthFailure", "Invalid date format of the X-Amz-Date header", 401)
    now = time.time() if now is None else now
    if abs(now - ts) > MAX_SKEW_S:
        raise ApiError("RequestExpired", "Request has expired.", 400)
    if amz_date[:8] != scope_date:
        raise ApiError("AuthFailure", "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                       "version of date from HTTP: '%s' != '%s'" % (scope_date, amz_date[:8]), 401)
    token = hmap.get("x-amz-security-token")
    if token is not None and session_token is not None and not hmac.compare_digest(token, session_token):
        raise ApiError("AuthFailure", BAD_CREDS, 401)
    for h in signed:
        if h not in hmap:
            raise ApiError("AuthFailure", BAD_CREDS, 401)
    if "x-amz-content-sha256" in signed:
        want = hmap["x-amz-content-sha256"]
        if want != "UNSIGNED-PAYLOAD" and want != hashlib.sha256(body).hexdigest():
            raise ApiError("XAmzContentSHA256Mismatch",
                           "The provided 'x-amz-content-sha256' header does not match what was computed.", 400)

    req = AWSRequest(method=method.upper(), url="http://%s%s" % (hmap["host"], path), data=body,
                     headers={h: hmap[h] for h in signed})
    if query_pairs:
        req.params = list(query_pairs)
    req.context["timestamp"] = amz_date
    signer = _Verifier(Credentials(akid, keys[akid], token), "ec2", region)
    canonical = signer.canonical_request(req)
    sts = signer.string_to_sign(req, canonical)
    expected = signer.signature(sts, req)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise ApiError("AuthFailure", BAD_CREDS, 401)
    return akid, region


MAX_PRESIGN_S = 7 * 24 * 3600


def verify_presigned(method, path, query_pairs, headers, body, keys, regions, session_token=None, now=None):
    """A query-string-signed (presigned) EC2 call, checked as EC2 does: the X-Amz-* parameters,
    the expiry (at most 7 days), Host signed, and the signature over the canonical request with
    the hash of the body (EC2 does not take S3's UNSIGNED-PAYLOAD). Returns (akid, region)."""
    q = {}
    for k, v in query_pairs:
        if k in q:
            raise ApiError("AuthFailure", "Duplicate query parameter %s" % k, 401)
        q[k] = v
    for req in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                "X-Amz-SignedHeaders", "X-Amz-Signature"):
        if req not in q:
            raise ApiError("AuthFailure", "AWS query-string parameters must include '%s'." % req, 401)
    if q["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise ApiError("AuthFailure", "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'", 401)
    akid, scope_date, region = _credential_scope(q["X-Amz-Credential"], keys, regions, ("AuthFailure", 401))
    amz_date = q["X-Amz-Date"]
    ts = _parse_amz_date(amz_date)
    if ts is None:
        raise ApiError("AuthFailure", "Invalid date format of X-Amz-Date", 401)
    if amz_date[:8] != scope_date:
        raise ApiError("AuthFailure", "Date in Credential scope does not match X-Amz-Date", 401)
    try:
        expires = int(q["X-Amz-Expires"])
    except ValueError:
        raise ApiError("AuthFailure", "X-Amz-Expires must be a whole number of seconds", 401)
    if expires < 1 or expires > MAX_PRESIGN_S:
        raise ApiError("AuthFailure", "X-Amz-Expires must be between 1 and %d seconds" % MAX_PRESIGN_S, 401)
    now = time.time() if now is None else now
    if ts - now > MAX_SKEW_S:
        raise ApiError("AuthFailure", "Request is not yet valid (X-Amz-Date in the future)", 401)
    if now > ts + expires:
        raise ApiError("RequestExpired", "Request has expired.", 400)
    hmap = {k.lower(): v for k, v in headers}
    signed = [h.strip().lower() for h in q["X-Amz-SignedHeaders"].split(";") if h.strip()]
    if "host" not in signed:
        raise ApiError("AuthFailure", "'Host' must be a 'SignedHeader' in the AWS Authorization.", 401)
    for h in signed:
        if h not in hmap:
            raise ApiError("AuthFailure", BAD_CREDS, 401)
    token = q.get("X-Amz-Security-Token")
    if session_token is not None and (token is None or not hmac.compare_digest(token, session_token)):
        raise ApiError("AuthFailure", BAD_CREDS, 401)
    params = [(k, v) for k, v in query_pairs if k != "X-Amz-Signature"]
    req = AWSRequest(method=method.upper(), url="http://%s%s" % (hmap["host"], path), data=body,
                     headers={h: hmap[h] for h in signed})
    req.params = params
    req.context["timestamp"] = amz_date
    signer = _Verifier(Credentials(akid, keys[akid], token), "ec2", region)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if not hmac.compare_digest(expected, q["X-Amz-Signature"]):
        raise ApiError("AuthFailure", BAD_CREDS, 401)
    return akid, region


def split_path(raw_path):
    path, _, query = raw_path.partition("?")
    return unquote(path) or "/", query
