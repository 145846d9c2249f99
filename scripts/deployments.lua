-- deployments.lua: what the server offers.
--
-- Shows: client:deployments(), client:applications() and client:deployment(id); the listings
-- are plain tables in DIAL's wire names (snake_case), with every field the server sent.
-- Run:   dialua scripts/deployments.lua
-- Prints (emulator): one line per model and application with its display name and whether it
-- takes tools, e.g. "model        gpt-4o                      tools=true   GPT-4o (emulated)".
local dial = require("dial")

local client = dial.default()

for _, d in ipairs(assert(client:deployments())) do
  print(("model        %-27s tools=%-5s  %s"):format(d.id, tostring(d.features.tools), d.display_name))
end
for _, a in ipairs(assert(client:applications())) do
  print(("application  %-27s %s"):format(a.id, a.display_name))
end

local d = assert(client:deployment("gpt-4o"))
print("gpt-4o max prompt tokens: " .. tostring(d.limits and d.limits.max_prompt_tokens))
