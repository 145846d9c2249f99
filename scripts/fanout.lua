-- fanout.lua: many requests at once from one script.
--
-- Shows: client:chat_many(requests, {concurrency = n}): the requests run concurrently in Go,
-- the results come back in input order, each either {response = …} or {error = …}.
-- Run:   dialua scripts/fanout.lua [deployment]
-- Prints (emulator): one line per city with its answer, in input order, then "4 answers".
local dial = require("dial")

local client = dial.default()
local deployment = arg[1] or "gpt-4o"
local cities = { "Paris", "Oslo", "Lima", "Kyoto" }

local requests = {}
for i, city in ipairs(cities) do
  requests[i] = { deployment = deployment, messages = { { role = "user", content = "Capital facts: " .. city } } }
end

local results = client:chat_many(requests, { concurrency = 4 })
local answered = 0
for i, r in ipairs(results) do
  if r.response then
    answered = answered + 1
    print(cities[i], r.response.choices[1].message.content)
  else
    print(cities[i], "failed: " .. r.error.message)
  end
end
print(answered .. " answers")
