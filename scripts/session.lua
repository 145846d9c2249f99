-- session.lua: a conversation saved to DIAL and resumed by a later run.
--
-- Shows: client:session{…} keeping the history, session:say, session:save to a DIAL
-- conversation (it opens in DIAL Chat), and client:load_session continuing it.
-- Run:   dialua scripts/session.lua NAME "first question"      -- creates the conversation
--        dialua scripts/session.lua NAME "a follow-up"         -- resumes it
--        (use a server that keeps state between runs: a real DIAL, or `dialua serve` with
--        --url http://127.0.0.1:8080 --api-key dial-emulator-key)
-- Prints: "new conversation" or "resumed N messages", then the answer and the saved URL.
local dial = require("dial")

local client = dial.default()
local name = arg[1] or "script-session"
local text = arg[2] or "Name a prime."
local url = dial.path.join(client:conversations_home(), "gpt-4o__" .. name)

local s = client:load_session(url)
if s then
  print(("resumed %d messages"):format(#s:messages()))
else
  s = client:session{ deployment = "gpt-4o", system = "You are terse.", name = name }
  print("new conversation")
end
local answer = assert(s:say(text))
print(answer)
assert(s:save(url))
print("saved " .. url)
