-- credentials.lua: credentials supplied by a Lua function.
--
-- Shows: dial.client{api_key = function() … end}: the function runs before every request
-- attempt and may return a lifetime in seconds to cache the key; a refreshing token source
-- (a vault, a CLI, a file) plugs in the same way.
-- Run:   dialua scripts/credentials.lua   (the provider reads DIAL_API_KEY)
-- Prints (emulator): the answer and how often the provider was asked: "provider calls: 1".
local dial = require("dial")

local calls = 0
local function key_provider()
  calls = calls + 1
  return os.getenv("DIAL_API_KEY") or "dial-emulator-key", 300 -- cache it for five minutes
end

-- The same server dial.default() talks to (the embedded emulator when no URL is configured).
local client = dial.client{ base_url = dial.default():base_url(), api_key = key_provider }

print((assert(client:ask("gpt-4o", "Who supplied my key?")))) -- ask returns text, response
print((assert(client:ask("gpt-4o", "And now?"))))
print("provider calls: " .. calls)
