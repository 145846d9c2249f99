-- Tests of dial.client{cache = …}, against the emulator.
local dial = require("dial")

local function cached_client(dir, key)
  return dial.client{base_url = EMULATOR.url, api_key = key or EMULATOR.key, cache = dir}
end

local function ask(client, prompt)
  local resp = assert(client:chat{deployment = "echo", messages = {{role = "user", content = prompt}}})
  return resp.id
end

function TestCacheAnswersRepeats(t)
  local a = cached_client(".")
  local first = ask(a, "hello")
  t:equal(ask(a, "hello"), first, "a repeat is answered from the cache")
  t:equal(ask(cached_client("."), "hello"), first, "by another client with the same key too")
  t:equal(ask(a, "hello!") ~= first, true, "another prompt is asked")
  t:equal(ask(cached_client(".", EMULATOR.second_key), "hello") ~= first, true, "another key never shares")
  local _, ask_resp = assert(a:ask("echo", "hello"))
  t:equal(ask_resp.id, first, "client:ask uses the cache")
  local streamed = assert(a:chat{deployment = "echo", stream = true, messages = {{role = "user", content = "hello"}}})
  t:equal(streamed.id ~= first, true, "a streamed call bypasses the cache")
end

function TestCacheOptionErrors(t)
  local function raises(opts, text)
    opts.base_url, opts.api_key = EMULATOR.url, EMULATOR.key
    local ok, msg = pcall(dial.client, opts)
    t:equal(ok, false)
    t:equal(tostring(msg):find(text, 1, true) ~= nil, true, tostring(msg))
  end
  raises({cache = 3}, "option 'cache' must be true or a directory, got number")
  raises({cache = "no-such-dir"}, "option 'cache': ")
  raises({cache = ".", cache_ttl = -1}, "option 'cache_ttl' must not be negative")
  raises({cache_ttl = 5}, "option 'cache_ttl' needs option 'cache'")
  raises({cache = false, cache_ttl = 5}, "option 'cache_ttl' needs option 'cache'")
end
