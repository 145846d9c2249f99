-- files.lua: a round trip through DIAL file storage.
--
-- Shows: client:files_home(), dial.path.join, files:upload (a string, then a file streamed
-- from disk), files:metadata, files:list, files:download (to a string and to disk),
-- files:delete with an ETag condition, and an error table on a stale ETag.
-- Run:   dialua scripts/files.lua
-- Prints (emulator): the uploaded file's size and ETag, the listing, the downloaded text, the
-- etag_mismatch error kind, and "deleted".
local dial = require("dial")

local client = dial.default()
local home = client:files_home()
local url = dial.path.join(home, "examples", "hello world.txt")

local meta = assert(client.files:upload(url, "Hello, DIAL!\n", { content_type = "text/plain" }))
print(("uploaded %s: %d bytes, etag %s"):format(meta.name, meta.contentLength, meta.etag))

local tmp = os.tmpname()
local f = assert(io.open(tmp, "wb"))
f:write(string.rep("0123456789", 1000))
f:close()
assert(client.files:upload(dial.path.join(home, "examples", "digits.bin"), { path = tmp }))

for item in client.files:list(dial.path.join(home, "examples") .. "/") do
  print(("  %-20s %6d bytes  %s"):format(item.name, item.contentLength, item.contentType))
end

print("content: " .. assert(client.files:download(url)))
assert(client.files:download(dial.path.join(home, "examples", "digits.bin"), { to = tmp }))
local copy = assert(io.open(tmp, "rb"))
print("downloaded to disk: " .. #copy:read("a") .. " bytes")
copy:close()
os.remove(tmp)

local ok, msg, err = client.files:delete(url, { if_match = "0123456789abcdef0123456789abcdef" })
print("stale etag: " .. tostring(ok) .. ", kind " .. err.kind)
assert(client.files:delete(url, { if_match = meta.etag }))
assert(client.files:delete(dial.path.join(home, "examples", "digits.bin")))
print("deleted")
