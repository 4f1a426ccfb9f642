#!/usr/bin/python3
"""A local stand-in for Google Drive's download hosts, for gpunb's tests (never contacts Google).

Serves the files of --dir by ID (the file name) the way drive.usercontent.google.com does today:
  GET /download?id=ID&export=download
    small file  -> 200, the bytes, Content-Disposition: attachment; filename="..."; filename*=UTF-8''...
    large file  -> 200, the "Google Drive - Virus scan warning" page: <form id="download-form"
                   action="https://drive.usercontent.google.com/download" method="get"> with hidden
                   id, export, confirm=t, uuid (random, remembered) and at; only a follow-up that
                   sends confirm=t with a uuid and at this server issued gets the bytes
    --quota ID  -> 403, "Google Drive - Quota exceeded" (uc-error-caption / uc-error-subcaption)
    --private ID -> 302 to /ServiceLogin (as accounts.google.com), a "Sign in" page
    --no-access ID -> 403, "You need access" / "Request access"
    unknown ID  -> 404, Google's "Error 404 (Not Found)!!1" page
  GET /uc?id=ID[&export=download] (drive.google.com's old entry point) -> 303 to /download?...;
    an unknown ID there gets Drive's "Sorry, the file you have requested does not exist." page.
Google Docs, Sheets and Slides (--doc ID=KIND:TITLE, KIND document, spreadsheets or presentation),
as docs.google.com and Drive answer for them:
  GET /KIND/d/ID/export?format=F[&gid=N] -> 200, "TITLE exported as F" (gid too), with
                   Content-Disposition: attachment; filename="TITLE.EXT" (html: .zip); a format
                   KIND cannot export -> 400; another KIND or ID -> 404
  GET /KIND/d/ID/edit (view, anything else) -> 200, the editor page "TITLE - Google Docs|Sheets|Slides"
  GET /download?id=ID -> 500, Google's "Error 500 (Server Error)!!1" page (a document is no file)
  GET /open?id=ID -> 302 to /KIND/d/ID/edit?usp=drive_web
  --private applies to documents too (302 to /ServiceLogin).
Range: bytes=A-B is honoured (206), as Google does. Prints "READY <port>" once listening.
"""
import argparse
import html
import http.server
import os
import re
import secrets
import sys
import threading
import urllib.parse
import uuid as uuidlib

ICON = '<link rel="icon" href="//ssl.gstatic.com/docs/doclist/images/drive_2022q3_32dp.png"/>'
STYLE = ('<style nonce="{nonce}">.goog-inline-block{{position:relative;display:-moz-inline-box;'
         'display:inline-block}}* html .goog-inline-block{{display:inline}}*:first-child+html '
         '.goog-inline-block{{display:inline}}.jfk-button{{-webkit-border-radius:2px;'
         'border-radius:2px;cursor:default;font-size:11px;font-weight:bold;text-align:center;'
         'white-space:nowrap;margin-right:16px;height:27px;line-height:27px;min-width:54px;'
         'outline:0;padding:0 8px}}.uc-main{{padding-top:50px;text-align:center}}'
         '#uc-dl-icon{{display:inline-block;margin-top:16px;padding-right:1em;vertical-align:top}}'
         '#uc-text{{display:inline-block;max-width:68ex;text-align:left}}.uc-error-caption,'
         '.uc-warning-caption{{color:#222;font-size:16px}}#uc-download-link{{text-decoration:none}}'
         '.uc-name-size a{{color:#15c;text-decoration:none}}</style>')
FOOTER = ('<div class="uc-footer"><hr class="uc-footer-divider">&copy; 2024 Google - '
          '<a class="goog-link" href="//support.google.com/drive/?p=web_home">Help</a> - '
          '<a class="goog-link" href="//support.google.com/drive/bin/request.py?hl=en&amp;'
          'contact_type=abuse">Report Abuse</a></div>')


def head(title):
    return ('<!DOCTYPE html><html><head><title>%s</title><meta http-equiv="content-type" '
            'content="text/html; charset=utf-8"/>%s%s</head>'
            % (title, STYLE.format(nonce=secrets.token_urlsafe(16)), ICON))


def human_size(size):
    for unit in ("", "k", "M", "G"):
        if size < 1024 or unit == "G":
            return ("%d%s" % (size, unit)) if unit == "" else ("%.1f%s" % (size, unit)).replace(".0", "")
        size /= 1024.0
    return str(size)


def virus_scan_page(file_id, name, size, uuid, at):
    hidden = "".join('<input type="hidden" name="%s" value="%s">' % (key, html.escape(value))
                     for key, value in (("id", file_id), ("export", "download"),
                                        ("confirm", "t"), ("uuid", uuid), ("at", at)))
    return (head("Google Drive - Virus scan warning")
            + '<body><div class="uc-main"><div id="uc-dl-icon" class="image-container"><div '
            'class="drive-sprite-aux-download-file"></div></div><div id="uc-text"><p '
            'class="uc-warning-caption">Google Drive can&#39;t scan this file for viruses.</p><p '
            'class="uc-warning-subcaption"><span class="uc-name-size"><a href="/open?id=%s">%s</a> '
            '(%s)</span> is too large for Google to scan for viruses. Would you still like to '
            'download this file?</p><form id="download-form" '
            'action="https://drive.usercontent.google.com/download" method="get"><input '
            'type="submit" id="uc-download-link" class="goog-inline-block jfk-button '
            'jfk-button-action" value="Download anyway"/>%s</form></div></div>%s</body></html>'
            % (file_id, html.escape(name), human_size(size), hidden, FOOTER))


def quota_page():
    return (head("Google Drive - Quota exceeded")
            + '<body><div class="uc-main"><div id="uc-text"><p class="uc-error-caption">Sorry, you '
            'can&#39;t view or download this file at this time.</p><p class="uc-error-subcaption">'
            'Too many users have viewed or downloaded this file recently. Please try accessing the '
            'file again later. If the file you are trying to access is particularly large or is '
            'shared with many people, it may take up to 24 hours to be able to view or download '
            'the file. If you still can&#39;t access a file after 24 hours, contact your domain '
            'administrator.</p></div></div>' + FOOTER + '</body></html>')


def need_access_page(file_id):
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Google Drive - '
            'You need access</title>' + ICON + '</head><body><div id="docs-editor"><div '
            'class="request-access-page"><img src="//ssl.gstatic.com/docs/common/lock-logo.png" '
            'alt="" aria-hidden="true"><h1 class="ra-title">You need access</h1><p '
            'class="ra-subtitle">Ask for access, or switch to an account with access. <a '
            'href="https://support.google.com/drive/answer/2494822">Learn more</a></p><form '
            'id="request-access-form" method="post" action="/sharing/requestaccess?id=%s"><textarea '
            'name="message" placeholder="Message (optional)"></textarea><button type="submit" '
            'class="jfk-button jfk-button-action">Request access</button></form></div></div>'
            '</body></html>' % file_id)


def sign_in_page():
    return ('<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>Google '
            'Drive: Sign-in</title><meta name="viewport" content="width=device-width, '
            'initial-scale=1"></head><body><div class="card"><div id="logo" title="Google"></div>'
            '<h1 id="headingText"><span>Sign in</span></h1><div id="headingSubtext"><span>to '
            'continue to Google Drive</span></div><form method="post" '
            'action="/signin/v2/identifier" id="gaia_loginform"><input type="email" '
            'name="identifier" aria-label="Email or phone"><input type="hidden" name="continue" '
            'value="https://drive.google.com/"><input type="hidden" name="service" value="wise">'
            '<button type="submit">Next</button></form></div></body></html>')


def google_404_page(path):
    return ('<!DOCTYPE html><html lang=en><meta charset=utf-8><meta name=viewport '
            'content="initial-scale=1, minimum-scale=1, width=device-width"><title>Error 404 (Not '
            'Found)!!1</title><style>*{margin:0;padding:0}html,code{font:15px/22px arial,'
            'sans-serif}</style><a href=//www.google.com/><span id=logo aria-label=Google></span>'
            '</a><p><b>404.</b> <ins>That\u2019s an error.</ins><p>The requested URL <code>%s'
            '</code> was not found on this server.  <ins>That\u2019s all we know.</ins>'
            % html.escape(path))


def drive_missing_page():
    return ('<!DOCTYPE html><html><head><meta name="google" content="notranslate"><meta '
            'http-equiv="X-UA-Compatible" content="IE=edge;"><title>Google Drive - Page Not Found'
            '</title>' + ICON + '</head><body><div id="gbar"></div><div class="errorMessage" '
            'style="padding-top: 50px">Sorry, the file you have requested does not exist.</div>'
            '<p class="errorSubMessage">Make sure that you have the correct URL and the file '
            'exists.</p></body></html>')


def google_500_page():
    return ('<!DOCTYPE html><html lang=en><meta charset=utf-8><meta name=viewport '
            'content="initial-scale=1, minimum-scale=1, width=device-width"><title>Error 500 '
            '(Server Error)!!1</title><a href=//www.google.com/><span id=logo aria-label=Google>'
            '</span></a><p><b>500.</b> <ins>That\u2019s an error.</ins><p>There was an error. '
            'Please try again later. <ins>That\u2019s all we know.</ins>')


DOC_TITLES = {"document": "Google Docs", "spreadsheets": "Google Sheets",
              "presentation": "Google Slides"}
EXPORTS = {
    "document": {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "odt": "application/vnd.oasis.opendocument.text", "rtf": "application/rtf",
                 "pdf": "application/pdf", "txt": "text/plain", "html": "application/zip",
                 "epub": "application/epub+zip", "md": "text/markdown"},
    "spreadsheets": {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "ods": "application/x-vnd.oasis.opendocument.spreadsheet",
                     "pdf": "application/pdf", "csv": "text/csv",
                     "tsv": "text/tab-separated-values", "html": "application/zip"},
    "presentation": {"pptx": "application/vnd.openxmlformats-officedocument.presentationml."
                             "presentation",
                     "odp": "application/vnd.oasis.opendocument.presentation",
                     "pdf": "application/pdf", "txt": "text/plain", "jpeg": "image/jpeg",
                     "png": "image/png", "svg": "image/svg+xml"},
}


def editor_page(kind, title):
    return ('<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>%s - %s'
            '</title><meta name="viewport" content="width=device-width"></head><body><div '
            'id="docs-editor-container"><div id="docs-titlebar-container"><span '
            'class="docs-title-input-label-inner">%s</span></div></div><script nonce="x">'
            'DOCS_timing={};</script></body></html>'
            % (html.escape(title), DOC_TITLES[kind], html.escape(title)))


class Origin:
    def __init__(self, args):
        self.dir = args.dir
        self.large_over = args.large_over
        self.large = set(args.large)
        self.quota = set(args.quota)
        self.private = set(args.private)
        self.no_access = set(args.no_access)
        self.names = dict(item.split("=", 1) for item in args.name)
        self.docs = {}  # ID -> (kind, title)
        for item in args.doc:
            doc_id, rest = item.split("=", 1)
            kind, title = rest.split(":", 1)
            self.docs[doc_id] = (kind, title)
        self.tokens = set()  # (uuid, at) pairs handed out
        self.lock = threading.Lock()

    def path_of(self, file_id):
        if not re.fullmatch(r"[A-Za-z0-9_-]{10,}", file_id or ""):
            return None
        path = os.path.join(self.dir, file_id)
        return path if os.path.isfile(path) else None

    def is_large(self, file_id, size):
        return file_id in self.large or size > self.large_over

    def issue(self):
        token = (str(uuidlib.uuid4()), "AEz70l" + secrets.token_urlsafe(24) + ":" + "1718000000000")
        with self.lock:
            self.tokens.add(token)
        return token

    def confirmed(self, query):
        token = (query.get("uuid", [""])[0], query.get("at", [""])[0])
        with self.lock:
            return query.get("confirm", [""])[0] == "t" and token in self.tokens


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "UploadServer"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.origin_verbose:
            sys.stderr.write("gdrive_origin: " + (format % args) + "\n")

    def do_HEAD(self):
        self.do_GET(head_only=True)

    def do_GET(self, head_only=False):
        self.head_only = head_only
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        file_id = query.get("id", [""])[0]
        doc = re.fullmatch(r"/(document|spreadsheets|presentation)/d/([A-Za-z0-9_-]+)(/.*)?", url.path)
        if doc:
            return self.document(doc.group(1), doc.group(2), doc.group(3) or "/", query)
        if file_id in self.server.origin.docs and url.path in ("/download", "/uc"):
            return self.page(500, google_500_page())
        if file_id in self.server.origin.docs and url.path == "/open":
            if file_id in self.server.origin.private:
                return self.sign_in_redirect(file_id)
            kind = self.server.origin.docs[file_id][0]
            return self.redirect(302, "/%s/d/%s/edit?usp=drive_web" % (kind, file_id))
        if url.path == "/download":
            return self.download(file_id, query)
        if url.path in ("/uc", "/open") or re.fullmatch(r"/u/\d+/uc", url.path):
            return self.old_entry(file_id, url.query)
        if url.path == "/ServiceLogin":
            return self.page(200, sign_in_page())
        return self.page(404, google_404_page(url.path))

    def sign_in_redirect(self, file_id):
        return self.redirect(302, "/ServiceLogin?service=wise&passive=1209600&continue="
                             + urllib.parse.quote("https://drive.google.com/uc?id=" + file_id))

    def document(self, kind, doc_id, rest, query):
        origin = self.server.origin
        if origin.docs.get(doc_id, ("", ""))[0] != kind:
            return self.page(404, google_404_page(self.path.split("?")[0]))
        if doc_id in origin.private:
            return self.sign_in_redirect(doc_id)
        title = origin.docs[doc_id][1]
        if rest != "/export":
            return self.page(200, editor_page(kind, title))
        fmt = query.get("format", [""])[0]
        if fmt not in EXPORTS[kind]:
            return self.page(400, google_404_page(self.path.split("?")[0]).replace("404", "400"))
        body = ("%s exported as %s" % (title, fmt)).encode("utf-8")
        if "gid" in query:
            body += (" (gid %s)" % query["gid"][0]).encode("utf-8")
        name = "%s.%s" % (title, "zip" if fmt == "html" else fmt)
        ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "_")
        self.send_response(200)
        self.send_header("Content-Type", EXPORTS[kind][fmt])
        self.send_header("Content-Disposition", "attachment; filename=\"%s\"; filename*=UTF-8''%s"
                         % (ascii_name, urllib.parse.quote(name, safe="")))
        self.send_header("Content-Length", str(len(body) + 1))
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body + b"\n")

    def old_entry(self, file_id, query):
        origin = self.server.origin
        known = file_id in origin.quota | origin.private | origin.no_access or origin.path_of(file_id)
        if not known:
            return self.page(404, drive_missing_page())
        self.redirect(303, "/download?" + query)

    def download(self, file_id, query):
        origin = self.server.origin
        if file_id in origin.quota:
            return self.page(403, quota_page())
        if file_id in origin.private:
            return self.redirect(302, "/ServiceLogin?service=wise&passive=1209600&continue="
                                 + urllib.parse.quote("https://drive.google.com/uc?id=" + file_id))
        if file_id in origin.no_access:
            return self.page(403, need_access_page(file_id))
        path = origin.path_of(file_id)
        if path is None:
            return self.page(404, google_404_page(self.path.split("?")[0]))
        size = os.path.getsize(path)
        if origin.is_large(file_id, size) and not origin.confirmed(query):
            uuid, at = origin.issue()
            name = origin.names.get(file_id, file_id)
            return self.page(200, virus_scan_page(file_id, name, size, uuid, at))
        self.send_file(file_id, path, size)

    def page(self, status, text):
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body)

    def redirect(self, status, location):
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def byte_range(self, size):
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if not match or (match.group(1) == "" and match.group(2) == ""):
            return None
        if match.group(1) == "":
            return max(0, size - int(match.group(2))), size - 1
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        return (start, end) if start <= end else None

    def send_file(self, file_id, path, size):
        name = self.server.origin.names.get(file_id, file_id)
        ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "_")
        span = self.byte_range(size)
        start, end = span if span else (0, size - 1)
        self.send_response(206 if span else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", "attachment; filename=\"%s\"; filename*=UTF-8''%s"
                         % (ascii_name, urllib.parse.quote(name, safe="")))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.send_header("X-GUploader-UploadID", "ABPtcPq" + secrets.token_urlsafe(30))
        if span:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        if not self.head_only:
            self.copy(path, start, end - start + 1)

    def copy(self, path, offset, length):
        with open(path, "rb") as source:
            source.seek(offset)
            while length > 0:
                chunk = source.read(min(length, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                length -= len(chunk)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True, help="files to serve, named by their ID")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--large-over", type=int, default=100 << 20,
                        help="files over this many bytes get the virus-scan form first")
    parser.add_argument("--large", action="append", default=[], metavar="ID")
    parser.add_argument("--quota", action="append", default=[], metavar="ID")
    parser.add_argument("--private", action="append", default=[], metavar="ID")
    parser.add_argument("--no-access", action="append", default=[], metavar="ID")
    parser.add_argument("--doc", action="append", default=[], metavar="ID=KIND:TITLE",
                        help="a Google Docs/Sheets/Slides document (KIND: document, "
                        "spreadsheets, presentation)")
    parser.add_argument("--name", action="append", default=[], metavar="ID=NAME",
                        help="the file name sent for ID (default: the ID)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.origin = Origin(args)
    server.origin_verbose = args.verbose
    sys.stdout.write("READY %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
