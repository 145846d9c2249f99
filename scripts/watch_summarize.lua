-- watch_summarize.lua: summarize every report dropped into an inbox folder.
--
-- Shows: client:watch on the items of a folder (DIAL subscribes to items, not folders, so
-- the script names the reports it expects), fn called on the script's thread for each change,
-- files:download, client:ask and files:upload inside it, and fn returning false to stop.
-- on_connect runs once the subscription is live: with no arguments the script drops two
-- sample reports itself there, so that it ends on its own.
-- Run:   dialua scripts/watch_summarize.lua [name …]   (waits for inbox/<name> of each name)
-- Prints (emulator): one line per report with its summary's URL, then "2 reports summarized".
local dial = require("dial")

local client = dial.default()
local home = client:files_home()
local names = {}
for i = 1, #arg do names[i] = arg[i] end
local demo = #names == 0
if demo then names = { "monday.txt", "tuesday.txt" } end

local urls = {}
for i, name in ipairs(names) do urls[i] = dial.path.join(home, "inbox", name) end

local done = 0
assert(client:watch(urls, function(event)
  if event.action == "DELETE" then return true end
  local text = assert(client.files:download(event.url))
  local summary = assert(client:ask("gpt-4o", "Summarize in one line: " .. text))
  local name = event.url:match("[^/]+$")
  local out = dial.path.join(home, "summaries", name)
  assert(client.files:upload(out, summary))
  print(("%s -> %s: %s"):format(name, out:sub(#home + 1), summary))
  done = done + 1
  return done < #urls
end, {
  on_connect = function()
    if demo then
      assert(client.files:upload(urls[1], "Sales rose 4% on the new pricing."))
      assert(client.files:upload(urls[2], "Two outages, both under five minutes."))
    end
  end,
}))
print(done .. " reports summarized")
