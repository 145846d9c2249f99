-- Tests of clients, listings and chat in the dial module, against the emulator.
local dial = require("dial")
local json = require("json")

-- raises checks that each case {fn, text} raises an error whose message contains text.
local function raises(t, cases)
  for i, c in ipairs(cases) do
    local ok, msg = pcall(c[1])
    t:equal(ok, false, "case " .. i)
    if not tostring(msg):find(c[2], 1, true) then
      t:error("case " .. i .. ": " .. tostring(msg) .. " lacks " .. c[2])
    end
  end
end

function TestDefaultAndListings(t)
  local client = dial.default()
  t:equal(client, dial.default(), "dial.default() is one handle per state")
  local deps = assert(client:deployments())
  t:equal(deps[2].id, "gpt-4o")
  t:equal(deps[2].features.tools, true)
  t:equal(deps[1].features.seed, false, "every feature key is there")
  local d = assert(client:deployment("gpt-4o"))
  t:equal(d.object, "model")
  t:equal(d.limits.max_prompt_tokens, 120000, "fields the project does not declare come through")
  local apps = assert(client:applications())
  t:equal(#apps, 2)
  local app = assert(client:application("applications/" .. EMULATOR.bucket .. "/folder/my-app"))
  t:equal(app.display_name, "My custom app")
  t:equal(#assert(client:models()), #deps + 0)
  local cfg = assert(client:deployment_configuration("my-app"))
  t:equal(cfg.properties.mode.type, "string")
  t:equal(client:deployment_configuration("gpt-4o"), nil, "no schema is nil")
  t:equal(client:base_url(), EMULATOR.url .. "/")
  t:equal(client:files_home(), "files/" .. EMULATOR.bucket .. "/")
  t:equal(client:conversations_home(), "conversations/" .. EMULATOR.bucket .. "/")
  t:equal(tostring(client), "dial.client(" .. EMULATOR.url .. "/)")
end

function TestNotFound(t)
  local client = dial.default()
  local d, msg, err = client:deployment("missing")
  t:equal(d, nil)
  t:equal(type(msg), "string")
  t:equal(err.kind, "not_found")
  t:equal(err.status, 404)
  t:equal(err.retryable, false)
  t:equal(tostring(err), "not_found: " .. err.message)
  local ok, amsg = pcall(function() return assert(client:deployment("missing")) end)
  t:equal(ok, false)
  t:equal(amsg:find("404", 1, true) ~= nil, true, "assert works with the message")
end

function TestChatBlock(t)
  local client = dial.default()
  local resp, msg, err = client:chat{
    deployment = "gpt-4o",
    messages = { { role = "system", content = "Be brief." }, { role = "user", content = "2+3=" } },
    temperature = 0,
    custom_fields = { configuration = { mode = "x" } },
    api_version = "2024-02-15-preview",
  }
  t:equal(err, nil)
  t:equal(resp.choices[1].message.content, "2+3=")
  t:equal(resp.usage.total_tokens, 4)
  t:equal(resp.object, "chat.completion")

  local text, whole = client:ask("gpt-4o", "hello there")
  t:equal(text, "hello there")
  t:equal(whole.choices[1].finish_reason, "stop")
  t:equal((client:ask("echo", "q", { system = "S", temperature = 0 })), "q")
end

function TestChatMisuse(t)
  local client = dial.default()
  local cases = {
    { function() client:chat("x") end, "request table expected" },
    { function() client:chat{ messages = {} } end, "'deployment' is required" },
    { function() client:chat{ deployment = "echo" } end, "'messages' must be a table" },
    { function() client:chat{ deployment = "echo", messages = {}, on_chunk = 3 } end, "'on_chunk' must be a function" },
    { function() client:chat{ deployment = "echo", messages = { { content = print } } } end, "function" },
    { function() client:nope() end, "dial client has no method or field 'nope'" },
    { function() client.files:uplod("x") end, "dial files has no method or field 'uplod'" },
    { function() dial.client{ base_url = "http://x", api_kye = "k" } end, "unknown option 'api_kye'" },
    { function() dial.client{ api_key = "k" } end, "'base_url' is required" },
    { function() dial.client{ base_url = "ftp://x", api_key = "k" } end, "base" },
    { function() client.files.upload("files/b/x", "data") end,
      "client.files:upload: called with '.'; use ':' (client.files:upload(…))" },
    { function() client.deployments() end, "client:deployments: called with '.'; use ':'" },
    { function() client.files.upload(client, "x") end, "client.files:upload: called with '.'" },
    { function() dial.client{ base_url = "nope" } end, 'invalid URL "nope"' },
    { function() dial.client{ base_url = "http://x" } end,
      "no credentials: set api_key, bearer_token, or a credential function" },
    { function() dial.client{ base_url = "http://x/openai", api_key = "k" } end,
      "ends in /openai: use the server root, http://x " },
    { function() client:ask("echo", "x", { on_chunk = 1 }) end, "'on_chunk' must be a function" },
    { function() client.files:download("files/b/x", { too = "y" }) end, "unknown option 'too'" },
  }
  raises(t, cases)
end

-- A handle offers its listed methods and fields and nothing else: no Go method outside the
-- list, no assignment, no operator.
function TestHandleSurface(t)
  local client = dial.default()
  local cases = {
    { function() return client.string end, "dial client has no method or field 'string'" },
    { function() return client.c end, "dial client has no method or field 'c'" },
    { function() client.files = client.files end, "cannot set 'files' of a dial client" },
    { function() client.chat = print end, "cannot set 'chat' of a dial client" },
    { function() client.files.extra = 1 end, "cannot set 'extra' of a dial files" },
    { function() return -client end, "" },
    { function() return client .. "" end, "" },
    { function() return #client end, "" },
    { function() return client() end, "" },
    { function() return client[1] end, "dial client has no method or field '1'" },
  }
  raises(t, cases)
  t:equal(rawequal(client.files, client.files), true)
  t:equal(type(client.prompts.save), "function")
  t:equal(tostring(client):find("^dial%.client%(http"), 1)
  t:equal(getmetatable(client), "dial client")
end

function TestStreamCallback(t)
  local client = dial.default()
  local pieces = {}
  local resp = assert(client:chat{
    deployment = "gpt-4o", stream = true,
    messages = { { role = "user", content = "the quick brown fox" } },
    on_chunk = function(chunk)
      local c = chunk.choices[1]
      if c and c.delta.content then pieces[#pieces + 1] = c.delta.content end
    end,
  })
  t:equal(table.concat(pieces), "the quick brown fox")
  t:equal(#pieces, 4)
  t:equal(resp.choices[1].message.content, "the quick brown fox")
  t:equal(resp.choices[1].message.role, "assistant")
  t:equal(resp.choices[1].finish_reason, "stop")
  t:equal(resp.usage.completion_tokens, 4)
end

function TestStreamEarlyStop(t)
  local client = dial.default()
  local n = 0
  local resp = assert(client:chat{
    deployment = "gpt-4o", stream = true, messages = { { role = "user", content = "a b c d e" } },
    on_chunk = function() n = n + 1; if n == 3 then return false end end,
  })
  t:equal(n, 3)
  t:equal(resp.choices[1].message.content, "a b", "the merged response holds what arrived")
end

function TestStreamCallbackError(t)
  local client = dial.default()
  local ok, msg = pcall(client.chat, client, {
    deployment = "echo", messages = { { role = "user", content = "a b" } },
    on_chunk = function() error("callback broke") end,
  })
  t:equal(ok, false)
  t:equal(tostring(msg):find("callback broke", 1, true) ~= nil, true, tostring(msg))
end

function TestStreamCustomContentMerge(t)
  local resp = assert(dial.default():chat{ deployment = "tools-rich", stream = true,
    messages = { { role = "user", content = "x" } }, on_chunk = function() end })
  local cc = resp.choices[1].message.custom_content
  t:equal(cc.attachments[1].title, "a.txt")
  t:equal(cc.attachments[1].index, nil, "index is removed by the merge")
  t:equal(cc.stages[1].status, "completed")
end

function TestMidStreamError(t)
  local client = dial.default()
  local seen = 0
  local resp, msg, err = client:chat{ deployment = "broken", stream = true,
    messages = { { role = "user", content = "x" } }, on_chunk = function() seen = seen + 1 end }
  t:equal(resp, nil)
  t:equal(err.kind, "stream")
  t:equal(err.during_stream, true)
  t:equal(err.message, "upstream failed")
  t:equal(err.code, "503")
  t:equal(err.partial.choices[1].message.content, "one two")
  t:equal(seen, 3)
  t:equal(err.status, 503, "a numeric code is the status")
  t:equal(err.retryable, true)

  local _, _, cut = client:chat{ deployment = "cut", stream = true, messages = { { role = "user", content = "x" } } }
  t:equal(cut.kind == "stream" or cut.kind == "transport", true, "a cut stream is an error: " .. cut.kind)
  t:equal(cut.during_stream, true, "a cut connection is a mid-stream error")

  -- aidial-sdk sends a code that is not a status on an HTTP 200 stream: no status is invented.
  local _, _, gw = client:chat{ deployment = "bad-gateway", stream = true, messages = { { role = "user", content = "x" } } }
  t:equal(gw.kind, "stream")
  t:equal(gw.code, "bad_gw")
  t:equal(gw.status, nil)
  t:equal(gw.retryable, false)
  t:equal(gw.during_stream, true)
  local _, _, before = client:chat{ deployment = "nope", stream = true, messages = { { role = "user", content = "x" } } }
  t:equal(before.during_stream, false, "an error before the stream began")
end

function TestAskStreams(t)
  local client = dial.default()
  local pieces = {}
  local text, resp = client:ask("gpt-4o", "one two three", {
    on_chunk = function(chunk)
      local c = chunk.choices[1]
      if c and c.delta.content then pieces[#pieces + 1] = c.delta.content end
    end,
  })
  t:equal(text, "one two three")
  t:equal(table.concat(pieces), "one two three")
  t:equal(resp.choices[1].message.content, "one two three")
  t:equal((client:ask("echo", "q", { system = "S", stream = true })), "q")
  local r, msg, err = client:ask("broken", "x", { stream = true })
  t:equal(r, nil)
  t:equal(type(msg), "string")
  t:equal(err.kind, "stream")
  t:equal(err.partial.choices[1].message.content, "one two")
end

function TestStreamIterator(t)
  local client = dial.default()
  local text = {}
  for chunk in client:stream{ deployment = "gpt-4o", messages = { { role = "user", content = "one two three" } } } do
    local c = chunk.choices[1]
    if c and c.delta.content then text[#text + 1] = c.delta.content end
  end
  t:equal(table.concat(text), "one two three")

  local it, s = client:stream{ deployment = "gpt-4o", messages = { { role = "user", content = "x y z" } } }
  it()
  it()
  t:equal(s:response().choices[1].message.content, "x")
  t:equal(s:close(), true)
  local ok, closed = pcall(it)
  t:equal(ok, false, "reading a stream closed before its end raises")
  t:equal(tostring(closed):find("stream closed", 1, true) ~= nil, true, tostring(closed))

  local ok, err = pcall(function()
    for _ in client:stream{ deployment = "broken", messages = { { role = "user", content = "x" } } } do end
  end)
  t:equal(ok, false)
  t:equal(err.kind, "stream", "the iterator raises the err table")
  t:equal(tostring(err), "stream: upstream failed")

  -- A request that fails before streaming raises its err table too: a for loop has nowhere
  -- to put nil, msg, err.
  local ok2, err2 = pcall(function()
    for _ in client:stream{ deployment = "nope", messages = { { role = "user", content = "x" } } } do end
  end)
  t:equal(ok2, false)
  t:equal(err2.kind, "not_found")
  t:equal(err2.status, 404)
  t:equal(err2.message, "Unknown deployment: nope")
  t:equal(tostring(err2), "not_found: Unknown deployment: nope")
end

function TestHTTPErrorsAndRetries(t)
  local client = dial.default()
  local resp = assert(client:chat{ deployment = "flaky", messages = { { role = "user", content = "x" } } })
  t:equal(resp.choices[1].message.content, "recovered", "a 503 is retried")
  local fast = dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.key, max_retries = 0 }
  local r, msg, err = fast:chat{ deployment = "limited", messages = { { role = "user", content = "x" } } }
  t:equal(r, nil)
  t:equal(err.kind, "http")
  t:equal(err.status, 429)
  t:equal(err.retryable, true)
  t:equal(err.retry_after, 1)
  t:equal(err.code, "429")
  t:equal(type(err.display_message), "string")
end

function TestEmbeddings(t)
  local emb = assert(dial.default():embeddings{ deployment = "text-embedding-3-small", input = { "a", "b" } })
  t:equal(#emb.data, 2)
  t:equal(#emb.data[1].embedding, 16)
  t:equal(emb.usage.total_tokens, 2)
end

function TestChatMany(t)
  local client = dial.default()
  local reqs = {}
  for i = 1, 12 do
    reqs[i] = { deployment = (i == 5) and "missing" or "echo", messages = { { role = "user", content = "n" .. i } } }
  end
  local results = client:chat_many(reqs, { concurrency = 4 })
  t:equal(#results, 12)
  for i, r in ipairs(results) do
    if i == 5 then
      t:equal(r.error.kind, "not_found")
      t:equal(r.response, nil)
    else
      t:equal(r.response.choices[1].message.content, "n" .. i, "results come in input order")
    end
  end
  local ok, msg = pcall(client.chat_many, client, { { deployment = "echo", messages = {}, stream = true } })
  t:equal(ok, false)
  t:equal(msg:find("does not stream", 1, true) ~= nil, true)
  ok, msg = pcall(client.chat_many, client, { reqs[1], { messages = {} } })
  t:equal(ok, false)
  t:equal(msg:find("bad argument #1 to ", 1, true) ~= nil and msg:find("(request 2: 'deployment' is required)", 1, true) ~= nil, true, msg)
  ok, msg = pcall(client.chat_many, client, { "nope" })
  t:equal(msg:find("request 1: request table expected, got string", 1, true) ~= nil, true, msg)
end

function TestCredentialFunctions(t)
  local calls = 0
  local client = dial.client{ base_url = EMULATOR.url, api_key = function() calls = calls + 1; return EMULATOR.key end }
  assert(client:ask("echo", "a"))
  assert(client:ask("echo", "b"))
  t:equal(calls, 2, "called before every request")

  local cached = 0
  local c2 = dial.client{ base_url = EMULATOR.url, api_key = function() cached = cached + 1; return EMULATOR.key, 60 end }
  assert(c2:ask("echo", "a"))
  assert(c2:ask("echo", "b"))
  t:equal(cached, 1, "an expiry caches the key")

  local fan = 0
  local c3 = dial.client{ base_url = EMULATOR.url, api_key = function() fan = fan + 1; return EMULATOR.key end }
  local reqs = {}
  for i = 1, 6 do reqs[i] = { deployment = "echo", messages = { { role = "user", content = "x" } } } end
  for _, r in ipairs(c3:chat_many(reqs, { concurrency = 3 })) do t:equal(r.error, nil) end
  t:equal(fan, 6, "chat_many calls the provider on this thread for every request")

  local bad = dial.client{ base_url = EMULATOR.url, api_key = function() error("vault is sealed") end }
  local r, msg, err = bad:ask("echo", "x")
  t:equal(r, nil)
  t:equal(err.kind, "credentials")
  t:equal(msg:find("vault is sealed", 1, true) ~= nil, true, msg)
  local none = dial.client{ base_url = EMULATOR.url, bearer_token = function() return nil end }
  local _, _, err2 = none:ask("echo", "x")
  t:equal(err2.kind, "credentials")
end

function TestPools(t)
  local pool = dial.pool{ max_connections = 2 }
  local c = pool:client{ base_url = EMULATOR.url, api_key = EMULATOR.key, api_version = "2024-02-01",
    headers = { ["X-CONVERSATION-ID"] = "run-42" }, timeout = 30 }
  t:equal((c:ask("echo", "pooled")), "pooled")
  t:equal(pool:close(), true)
  local r, _, err = c:ask("echo", "x")
  t:equal(r, nil, "a closed pool's clients fail")
  t:equal(type(err.kind), "string")
  local ok = pcall(dial.pool, { max_connections = 0 })
  t:equal(ok, false)
end

function TestWrongURLAndKey(t)
  local c = dial.client{ base_url = "http://127.0.0.1:1", api_key = "k", max_retries = 0 }
  local r, msg, err = c:deployments()
  t:equal(r, nil)
  t:equal(err.kind, "transport")
  local bad = dial.client{ base_url = EMULATOR.url, api_key = "wrong" }
  local _, _, err2 = bad:deployments()
  t:equal(err2.status, 401)
  t:equal(err2.kind, "http")
  t:equal(err2.message, "Unknown api key")
end

-- strings collects every string inside v.
local function strings(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then out[#out + 1] = v
  elseif type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do strings(k, out, seen); strings(x, out, seen) end
  end
  return out
end

function TestCanaryKeyNeverShown(t)
  local canary = EMULATOR.canary
  local results = {}
  local kinds = {}
  local function collect(...)
    local r = { ... }
    results[#results + 1] = r
    if type(r[3]) == "table" then kinds[r[3].kind] = true end
  end
  -- The canary is a valid key, so every kind of failure is reachable with it.
  local c = dial.client{ base_url = EMULATOR.url, api_key = canary, max_retries = 0 }
  local home = assert(c:files_home())
  collect(c:deployment("missing"))                                           -- not_found
  collect(c:chat{ deployment = "limited", messages = { { role = "user", content = "x" } } })  -- http
  collect(c:chat{ deployment = "broken", stream = true, messages = { { role = "user", content = canary } } }) -- stream
  collect(c:chat{ deployment = "garbage", messages = { { role = "user", content = "x" } } })  -- parse
  collect(c:chat{ deployment = "leaky", stream = true, messages = { { role = "user", content = "x" } } }) -- echoes the key
  assert(c.files:upload(home .. "a.txt", "a"))
  collect(c.files:delete(home .. "a.txt", { if_match = "0" }))               -- etag_mismatch
  collect(c.files:upload(home .. "../x", "y"))                               -- invalid_url
  collect(c.files:metadata("https://elsewhere.example.com/v1/files/b/x"))     -- not_dial_url
  local unreachable = dial.client{ base_url = "http://127.0.0.1:1", api_key = canary, max_retries = 0 }
  collect(unreachable:ask("echo", "x"))                                      -- transport
  local slow = dial.client{ base_url = EMULATOR.url, api_key = canary, timeout = 0.05, max_retries = 0 }
  collect(slow:chat{ deployment = "paced", stream = true, messages = { { role = "user", content = "x" } } }) -- timeout
  local fn = dial.client{ base_url = EMULATOR.url, api_key = function() error("no luck") end }
  collect(fn:ask("echo", "x"))                                               -- credentials
  local echoing = dial.client{ base_url = EMULATOR.url, api_key = function() error("refused " .. canary) end }
  collect(echoing:ask("echo", "x"))                                          -- a credential function's error names the key
  local wrong = dial.client{ base_url = EMULATOR.url, api_key = canary .. "-revoked" }
  collect(wrong:deployments())                                                -- 401
  collect(pcall(function() for _ in c:stream{ deployment = "broken", messages = { { role = "user", content = "x" } } } do end end))
  collect(c:run{ deployment = "loop", messages = { { role = "user", content = "x" } }, max_steps = 1,
    tools = { t = { fn = function() return "ok" end } } })                      -- tool_loop
  for _, k in ipairs({ "not_found", "http", "stream", "parse", "etag_mismatch", "invalid_url", "not_dial_url",
                       "transport", "timeout", "credentials", "tool_loop" }) do
    t:equal(kinds[k], true, "reached kind " .. k)
  end
  t:equal(tostring(c):find(canary, 1, true), nil)
  local n = 0
  for _, r in ipairs(results) do
    for _, s in ipairs(strings(r)) do
      n = n + 1
      if s:find(canary, 1, true) then t:error("canary leaked: " .. s) end
    end
    for _, v in ipairs(r) do
      if type(v) == "table" and getmetatable(v) then
        local s = tostring(v)
        if s:find(canary, 1, true) then t:error("canary leaked by tostring: " .. s) end
      end
    end
  end
  t:equal(n > 40, true, "the errors were inspected")
end

-- A stream in OpenAI's include_usage form ends with a chunk without choices that carries the
-- usage; n = 2 gives two choices.
function TestStreamIncludeUsageAndChoices(t)
  local client = dial.default()
  local last
  local resp = assert(client:chat{
    deployment = "echo", stream = true, n = 2, stream_options = { include_usage = true },
    messages = { { role = "user", content = "red green blue" } },
    on_chunk = function(chunk) last = chunk end,
  })
  t:equal(#last.choices, 0, "the last chunk has no choices")
  t:equal(last.usage.total_tokens, 9)
  t:equal(resp.usage, { prompt_tokens = 3, completion_tokens = 6, total_tokens = 9 })
  t:equal(#resp.choices, 2)
  t:equal(resp.choices[1].message.content, "red green blue")
  t:equal(resp.choices[2].message.content, "red green blue")
  t:equal(resp.choices[2].index, 1)

  local texts = {}
  local it, stream = assert(client:stream{
    deployment = "echo", stream_options = { include_usage = true },
    messages = { { role = "user", content = "one two" } },
  })
  for chunk in it do
    local c = chunk.choices[1]
    if c and c.delta.content then texts[#texts + 1] = c.delta.content end
  end
  t:equal(table.concat(texts), "one two")
  t:equal(stream:response().usage.total_tokens, 4)
end

-- The block form of n choices.
function TestBlockChoices(t)
  local resp = assert(dial.default():chat{ deployment = "echo", n = 3, messages = { { role = "user", content = "hi" } } })
  t:equal(#resp.choices, 3)
  t:equal(resp.choices[3].index, 2)
  t:equal(resp.choices[3].message.content, "hi")
end

-- A prompt longer than the deployment's max_prompt_tokens fails with DIAL's error.
function TestPromptOverTheDeploymentLimit(t)
  local client = dial.default()
  assert(client:chat{ deployment = "short-context", messages = { { role = "user", content = "one two three" } } })
  local resp, msg, err = client:chat{ deployment = "short-context", messages = { { role = "user", content = "one two three four" } } }
  t:equal(resp, nil)
  t:equal(err.kind, "http")
  t:equal(err.status, 400)
  t:equal(err.code, "truncate_prompt_error")
  t:equal(err.message, "The requested maximum prompt tokens is 3. However, the system messages and the last user message " ..
    "resulted in 4 tokens. Please reduce the length of the messages or increase the maximum prompt tokens.")
  t:equal(msg:find("maximum prompt tokens is 3", 1, true) ~= nil, true, msg)
end

function TestYieldAcrossDialCall(t)
  local client = dial.default()
  local function resume(f) return coroutine.resume(coroutine.create(f)) end
  local ok, msg = resume(function()
    return client:chat{ deployment = "echo", stream = true, messages = { { role = "user", content = "a b" } },
      on_chunk = function() coroutine.yield("chunk") end }
  end)
  t:equal(ok, false)
  t:equal(tostring(msg):find("cannot yield across a dial call", 1, true) ~= nil, true, tostring(msg))

  local yielding = dial.client{ base_url = EMULATOR.url,
    api_key = function() coroutine.yield() return EMULATOR.key end }
  local ok2, r, msg2, err = resume(function() return yielding:ask("echo", "x") end)
  t:equal(ok2, true)
  t:equal(r, nil)
  t:equal(err.kind, "credentials")
  t:equal(msg2:find("cannot yield across a dial call", 1, true) ~= nil, true, msg2)

  local ok3, answer = resume(function()
    local resp = assert(client:run{ deployment = "gpt-4o", messages = { { role = "user", content = "weather in Rome" } },
      tools = { get_weather = { fn = function() coroutine.yield() end } } })
    return resp.choices[1].message.content
  end)
  t:equal(ok3, true, answer)
  t:equal(answer:find("cannot yield across a dial call", 1, true) ~= nil, true, answer)

  local inner = {}
  assert(client:chat{ deployment = "echo", stream = true, messages = { { role = "user", content = "a b" } },
    on_chunk = function() inner[#inner + 1] = coroutine.wrap(function() coroutine.yield("inner") end)() end })
  t:equal(inner[1], "inner", "a coroutine inside the callback still yields")
end

function TestCallbackErrorKeepsTheCallersUpvalues(t)
  local n = 0
  local function get() return n end
  assert(dial.default():run{ deployment = "gpt-4o", messages = { { role = "user", content = "weather in Rome" } },
    tools = { get_weather = { fn = function() n = n + 1; error("sensor offline") end } } })
  n = n + 10
  t:equal(get(), n)
  t:equal(n, 11)
end
