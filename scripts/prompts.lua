-- prompts.lua: a prompt template pipeline.
--
-- Shows: client.prompts:save/get on DIAL's prompts storage (prompts made here appear in DIAL
-- Chat), dial.template filling {{name}} placeholders ({{name|default}} has a default), and
-- client:chat_many answering all filled prompts at once.
-- Run:   dialua scripts/prompts.lua
-- Prints (emulator): one filled prompt per document, as the echo model answers it, then
-- "3 summaries".
local dial = require("dial")

local client = dial.default()
local url = dial.path.join(client:prompts_home(), "templates", "summary")
assert(client.prompts:save(url, {
  name = "summary",
  description = "Summarize a text in a given number of words",
  content = "Summarize in {{words|20}} words: {{text}}",
}))

local prompt = assert(client.prompts:get(url))
local docs = {
  { text = "The quarterly report shows growth.", words = 5 },
  { text = "A lighthouse keeper finds a message in a bottle." },
  { text = "Rain is expected over the weekend.", words = 3 },
}
local requests = {}
for i, doc in ipairs(docs) do
  requests[i] = { deployment = "gpt-4o", messages = { { role = "user", content = dial.template(prompt.content, doc) } } }
end
for i, r in ipairs(client:chat_many(requests)) do
  print(i, r.response and r.response.choices[1].message.content or r.error.message)
end
print(#docs .. " summaries")
