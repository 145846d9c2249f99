-- budget.lua: count tokens before sending, fit a history into a prompt limit, price the answer.
--
-- Shows: client:tokenize counts a text with the deployment's tokenizer; client:truncate_prompt
-- names the old messages a history must drop to fit max_prompt_tokens (0-based indices);
-- client:model gives the price list; client:usage what this key has used of the deployment.
-- Run:   dialua scripts/budget.lua [deployment]
-- Prints (emulator, one token per word): the question's 7 tokens, message 1 dropped to fit 12
-- tokens, the answer with its 10 + 7 tokens and their cost, and the 17 tokens used in the last minute.
local dial = require("dial")

local client = dial.default()
local deployment = arg[1] or "gpt-4o"
local question = "How many tokens does this question take?"

local counted = assert(client:tokenize{ deployment = deployment, inputs = { question } })
print("tokens in the question: " .. counted.outputs[1].token_count)

local history = {
  { role = "system", content = "Be brief." },
  { role = "user", content = "A long story about the sea and the wind and the boats." },
  { role = "assistant", content = "Noted." },
  { role = "user", content = question },
}
local cut = assert(client:truncate_prompt{ deployment = deployment,
  inputs = { { messages = history, max_prompt_tokens = 12 } } })
local dropped = {}
for _, i in ipairs(cut.outputs[1].discarded_messages) do dropped[i + 1] = true end
local kept = {}
for i, m in ipairs(history) do
  if not dropped[i] then kept[#kept + 1] = m end
end
print(string.format("to fit 12 tokens: %d of %d messages kept", #kept, #history))

local resp = assert(client:chat{ deployment = deployment, messages = kept })
local price = assert(client:model(deployment)).pricing
local cost = resp.usage.prompt_tokens * tonumber(price.prompt)
  + resp.usage.completion_tokens * tonumber(price.completion)
print(string.format("answer: %s (%d prompt + %d completion tokens, cost %.7f)",
  resp.choices[1].message.content, resp.usage.prompt_tokens, resp.usage.completion_tokens, cost))

local usage = assert(client:usage(deployment))
print("tokens used in the last minute: " .. usage.minuteTokenStats.used)
