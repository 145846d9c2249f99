-- stream.lua: a streamed chat answer, printed as it arrives.
--
-- Shows: client:chat{stream = true, on_chunk = …} writing each delta as it comes, the merged
-- response it returns (content and usage), and the iterator form client:stream{…}.
-- Run:   dialua scripts/stream.lua [deployment]
-- Prints (emulator): the prompt echoed word by word, then a usage line, then the iterator's
-- chunk count: "chunks: 10".
local dial = require("dial")

local client = dial.default()
local deployment = arg[1] or "gpt-4o"
local messages = {
  { role = "system", content = "Be brief." },
  { role = "user", content = "Tell me a story about a lighthouse keeper" },
}

local resp = assert(client:chat{
  deployment = deployment,
  messages = messages,
  stream = true,
  on_chunk = function(chunk)
    local choice = chunk.choices[1]
    if choice and choice.delta.content then io.write(choice.delta.content) end
  end,
})
print()
print(("tokens: %d prompt + %d completion"):format(resp.usage.prompt_tokens, resp.usage.completion_tokens))

local n = 0
for _ in client:stream{ deployment = deployment, messages = messages } do
  n = n + 1
end
print("chunks: " .. n)
