"""EC2 query-protocol input parsing and XML output, driven by botocore's service model.

Using the model on both sides keeps parameter names (InstanceId.N, Filter.N.Value.M, ...) and
response element names (reservationSet/item/instancesSet/...) exactly those of real EC2.
"""
import base64
import datetime
import json
import os
from xml.sax.saxutils import escape

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
MODEL_CANDIDATES = [
    "/usr/lib/python3/dist-packages/botocore/data/ec2/2016-11-15/service-2.json",
]


class ApiError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.status = status


def iso(ts):
    if isinstance(ts, str):
        return ts
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def _model_path():
    for p in MODEL_CANDIDATES:
        if os.path.exists(p):
            return p
    import botocore  # noqa: fall back to the installed botocore's data
    return os.path.join(os.path.dirname(botocore.__file__), "data/ec2/2016-11-15/service-2.json")


class Model:
    def __init__(self, path=None):
        with open(path or _model_path()) as f:
            d = json.load(f)
        self.shapes = d["shapes"]
        self.operations = d["operations"]

    # ------------------------------------------------------------------ input
    @staticmethod
    def _wire(mref, name):
        if "queryName" in mref:
            return mref["queryName"]
        if "locationName" in mref:
            n = mref["locationName"]
            return n[0].upper() + n[1:]
        return name

    def parse(self, op, params, ignore=("Action", "Version")):
        """Flat query params -> dict keyed by botocore member names. Raises ApiError."""
        opm = self.operations[op]
        if "input" not in opm:
            return {}
        keys = [k for k in params if k not in ignore]
        consumed = set()
        out = self._parse(opm["input"]["shape"], "", params, keys, consumed)
        unknown = [k for k in keys if k not in consumed]
        if unknown:
            raise ApiError("UnknownParameter", "The parameter %s is not recognized" % unknown[0].split(".")[0])
        return out

    def _parse(self, shape_name, key, params, keys, consumed):
        sh = self.shapes[shape_name]
        t = sh["type"]
        if t == "structure":
            out = {}
            for mname, mref in sh["members"].items():
                w = self._wire(mref, mname)
                full = key + "." + w if key else w
                dot = full + "."
                if full in params or any(k.startswith(dot) for k in keys):
                    out[mname] = self._parse(mref["shape"], full, params, keys, consumed)
            for r in sh.get("required", []):
                if r not in out:
                    w = self._wire(sh["members"][r], r)
                    raise ApiError("MissingParameter", "The request must contain the parameter %s"
                                   % ((key + "." + w) if key else w))
            return out
        if t == "list":
            dot = key + "."
            idx = set()
            for k in keys:
                if k.startswith(dot):
                    seg = k[len(dot):].split(".", 1)[0]
                    if seg.isdigit():
                        idx.add(int(seg))
            return [self._parse(sh["member"]["shape"], "%s.%d" % (key, i), params, keys, consumed)
                    for i in sorted(idx)]
        if key not in params:
            # e.g. "Filter.1.Name.x": a structure-ish key on a scalar -> left unconsumed -> UnknownParameter
            return None
        v = params[key]
        consumed.add(key)
        if t in ("integer", "long"):
            try:
                return int(v)
            except ValueError:
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for %s" % (v, key))
        if t in ("double", "float"):
            try:
                return float(v)
            except ValueError:
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for %s" % (v, key))
        if t == "boolean":
            lv = v.lower()
            if lv not in ("true", "false"):
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for %s" % (v, key))
            return lv == "true"
        return v

    # ------------------------------------------------------------------ output
    def serialize(self, op, data, request_id):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">' % (op, NS),
               "<requestId>%s</requestId>" % request_id]
        opm = self.operations[op]
        if "output" in opm:
            sh = self.shapes[opm["output"]["shape"]]
            for k, v in (data or {}).items():
                mref = sh["members"][k]
                self._ser(out, mref["shape"], v, mref.get("locationName", k))
        else:
            out.append("<return>true</return>")
        out.append("</%sResponse>" % op)
        return "".join(out).encode("utf-8")

    def _ser(self, out, shape_name, value, tag):
        if value is None:
            return
        sh = self.shapes[shape_name]
        t = sh["type"]
        if t == "structure":
            out.append("<%s>" % tag)
            members = sh["members"]
            for k, v in value.items():
                mref = members[k]  # KeyError = a bug in the sandbox, answered as InternalError
                self._ser(out, mref["shape"], v, mref.get("locationName", k))
            out.append("</%s>" % tag)
        elif t == "list":
            if not value:
                out.append("<%s/>" % tag)
                return
            item = sh["member"].get("locationName", "member")
            ms = sh["member"]["shape"]
            out.append("<%s>" % tag)
            for v in value:
                self._ser(out, ms, v, item)
            out.append("</%s>" % tag)
        elif t == "boolean":
            out.append("<%s>%s</%s>" % (tag, "true" if value else "false", tag))
        elif t == "timestamp":
            out.append("<%s>%s</%s>" % (tag, iso(value), tag))
        elif t == "blob":
            if isinstance(value, str):
                value = value.encode()
            out.append("<%s>%s</%s>" % (tag, base64.b64encode(value).decode(), tag))
        else:
            out.append("<%s>%s</%s>" % (tag, escape(str(value)), tag))


def error_xml(code, message, request_id):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code>'
            "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>"
            % (escape(code), escape(message), request_id)).encode("utf-8")
