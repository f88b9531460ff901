#!/usr/bin/python3
"""oauth2-browser.py CA URL [--no-follow]: play the browser of a --browser
login. GETs URL (the authorization server approves at once and redirects);
follows the 302 to the loopback redirect, or with --no-follow prints the
Location (what a user would paste). Exit 1 when no redirect came."""
import http.client, ssl, sys, urllib.parse

ca, url = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(url)
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
c.request("GET", u.path + "?" + u.query)
r = c.getresponse()
loc = r.getheader("Location")
if r.status != 302 or not loc:
    sys.exit("no redirect: %d %s" % (r.status, r.read()[:200]))
if "--no-follow" in sys.argv:
    print(loc)
    sys.exit(0)
v = urllib.parse.urlsplit(loc)
h = http.client.HTTPConnection(v.hostname, v.port, timeout=10)
h.request("GET", v.path + ("?" + v.query if v.query else ""))
print(h.getresponse().read().decode().strip())
