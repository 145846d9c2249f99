-- hello.lua: the smallest useful script, one question and its answer.
--
-- Shows: dial.default() (configured by --url/--api-key or DIAL_URL/DIAL_API_KEY, else the
-- embedded emulator) and client:ask(deployment, prompt).
-- Run:   dialua scripts/hello.lua [deployment] [question]
-- Prints (emulator): the answer, here the question echoed back: "What is 2+3?"
local dial = require("dial")

local client = dial.default()
local deployment = arg[1] or "gpt-4o"
local question = arg[2] or "What is 2+3?"

local answer = assert(client:ask(deployment, question))
print(answer)
