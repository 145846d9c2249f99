-- Tests of the escape hatch, per-call headers, tokens, limits, conversations and app data.
local dial = require("dial")

local function keyed(key)
  return dial.client{ base_url = EMULATOR.url, api_key = key, max_retries = 0 }
end

function TestRequest(t)
  local client = dial.default()
  local info, status, headers = client:request{ path = "v1/bucket" }
  t:equal(info, { bucket = EMULATOR.bucket })
  t:equal(status, 200)
  t:equal(headers["content-type"], "application/json")

  local prompt = "v1/prompts/" .. EMULATOR.bucket .. "/r/p"
  local meta, st = client:request{ method = "put", path = prompt, body = { name = "p", content = "c" } }
  t:equal(st, 200)
  t:equal(meta.name, "p")
  local raw = assert(client:request{ path = prompt, headers = { Accept = "text/plain" } })
  t:equal(raw.content, "c")
  assert(client.files:upload("files/" .. EMULATOR.bucket .. "/r/a.txt", "hello", { content_type = "text/plain" }))
  local text = client:request{ path = "v1/files/" .. EMULATOR.bucket .. "/r/a.txt" }
  t:equal(text, "hello", "a body that is not JSON comes back as a string")
  local page = assert(client:request{ path = "v1/metadata/files/" .. EMULATOR.bucket .. "/r/", query = { limit = 1 } })
  t:equal(#page.items, 1)

  local resp = assert(client:request{ method = "POST", path = "openai/deployments/echo/chat/completions",
    body = { messages = { { role = "user", content = "via request" } } } })
  t:equal(resp.choices[1].message.content, "via request")

  local none, msg, err = client:request{ path = "openai/models/missing" }
  t:equal(none, nil)
  t:equal(err.status, 404)
  t:equal(type(msg), "string")
  none, msg, err = client:request{ path = "../escape" }
  t:equal(err.kind, "invalid_url")
  local ok, raised = pcall(client.request, client, { path = "v1/bucket", headers = { ["Api-Key"] = "x" } })
  t:equal(ok, false)
  t:equal(raised:find("carries credentials", 1, true) ~= nil, true, raised)
  ok, raised = pcall(client.request, client, { path = "v1/bucket", verb = "GET" })
  t:equal(raised:find("unknown option 'verb'", 1, true) ~= nil, true, raised)
end

function TestHeadersPerCall(t)
  local client = dial.default()
  local h = { ["X-CONVERSATION-ID"] = "conv-7" }
  local msgs = { { role = "user", content = "hi" } }
  t:equal(assert(client:chat{ deployment = "headers", messages = msgs, headers = h }).choices[1].message.content, "conv-7")
  t:equal(assert(client:chat{ deployment = "headers", messages = msgs }).choices[1].message.content, "",
    "headers are per call")
  t:equal((client:ask("headers", "hi", { headers = h })), "conv-7")
  t:equal(assert(client:chat{ deployment = "headers", messages = msgs, stream = true, headers = h }).choices[1].message.content, "conv-7")
  local got = {}
  for chunk in client:stream{ deployment = "headers", messages = msgs, headers = h } do
    got[#got + 1] = chunk.choices[1].delta.content
  end
  t:equal(got, { "conv-7" })
  local final = assert(client:run{ deployment = "headers", messages = msgs, headers = h })
  t:equal(final.choices[1].message.content, "conv-7")
  t:equal(assert(client:embeddings{ deployment = "headers", input = "x", headers = h }).model, "conv-7")
  local url = "files/" .. EMULATOR.bucket .. "/headers/x"
  t:equal(assert(client.files:download(url, { headers = h })), "conv-7")
  t:equal(assert(client:request{ path = "v1/" .. url, headers = h }), "conv-7")
  local many = client:chat_many{ { deployment = "headers", messages = msgs, headers = h } }
  t:equal(many[1].response.choices[1].message.content, "conv-7")
  local home = client:files_home()
  assert(client.files:upload(home .. "h/a.txt", "x", { headers = h }))
  assert(client.files:copy(home .. "h/a.txt", home .. "h/b.txt", { headers = h }))
  assert(client.files:metadata(home .. "h/", { headers = h }))
  for _ in client.files:list(home .. "h/", { headers = h }) do end
  assert(client.files:delete(home .. "h/b.txt", { headers = h }))
  local _, _, perr = client.prompts:get("prompts/" .. EMULATOR.bucket .. "/none", { headers = h })
  t:equal(perr.kind, "not_found", "prompts calls take headers")
  _, _, perr = client.conversations:delete("conversations/" .. EMULATOR.bucket .. "/none", { headers = h })
  t:equal(perr.kind, "not_found", "conversations calls take headers")
  local ok, msg = pcall(client.chat, client, { deployment = "headers", messages = msgs, headers = { Authorization = "x" } })
  t:equal(ok, false)
  t:equal(msg:find("'headers': header Authorization carries credentials", 1, true) ~= nil, true, msg)
  ok, msg = pcall(client.files.download, client.files, url, { headers = "x" })
  t:equal(msg:find("'headers' must be a table", 1, true) ~= nil, true, msg)
end

function TestTokenizeAndTruncate(t)
  local client = dial.default()
  local out = assert(client:tokenize{ deployment = "counted", inputs = {
    "one two three",
    { messages = { { role = "user", content = "a b" } } },
    { type = "string", value = "x" },
  } })
  t:equal(out, { outputs = {
    { status = "success", token_count = 3 },
    { status = "success", token_count = 2 },
    { status = "success", token_count = 1 },
  } })
  local cut = assert(client:truncate_prompt{ deployment = "counted", inputs = {
    { messages = { { role = "user", content = "a b c" }, { role = "assistant", content = "d" }, { role = "user", content = "e f" } } },
  } })
  t:equal(cut.outputs[1].discarded_messages, { 0 })
  local none, _, err = client:tokenize{ deployment = "echo", inputs = { "x" } }
  t:equal(none, nil)
  t:equal(err.status, 403)
  t:equal(err.message:find("Forbidden deployment", 1, true) ~= nil, true, err.message)
end

function TestLimitsAndUsage(t)
  local client = keyed(EMULATOR.limited_key)
  local before = assert(client:limits("echo"))
  t:equal(before.minuteTokenStats, { total = 10, used = 0 })
  t:equal(before.dayTokenStats.total, "9223372036854775807", "unlimited stays exact")
  t:equal(type(before.dayTokenStats.resetsAt), "string")
  assert(client:ask("echo", "one two three four five six"))
  local after = assert(client:limits("echo"))
  t:equal(after.minuteTokenStats.used, 12)
  t:equal(after.hourRequestStats.used, 1)
  local answer, msg, err = client:ask("echo", "again")
  t:equal(answer, nil)
  t:equal(err.status, 429)
  t:equal(err.retryable, true)
  t:equal(msg:find("Hit token rate limit. Minute limit: 12 / 10 tokens.", 1, true) ~= nil, true, msg)

  assert(client:ask("counted", "a b"))
  local usage = assert(client:usage("counted"))
  t:equal(usage.minuteTokenStats.used, 4)
  t:equal(usage.minuteCostStats.used, 5, "2 prompt tokens at 0.5 and 2 completion tokens at 2")
  local all = assert(client:user_limits())
  t:equal(all.deployments["gpt-4o"].minuteTokenStats.used, 0, "user_limits lists every model")
  t:equal(all.minuteCostStats.used, usage.minuteCostStats.used + all.deployments.echo.minuteCostStats.used,
    "the top-level cost is the caller's whole spend")
  local used = assert(client:user_usage())
  local ids = {}
  for id in pairs(used.deployments) do ids[#ids + 1] = id end
  table.sort(ids)
  t:equal(ids, { "counted", "echo" })
  local none, _, nerr = client:usage("my-app")
  t:equal(none, nil)
  t:equal(nerr.kind, "not_found")
end

function TestModelPricing(t)
  local model = assert(dial.default():model("counted"))
  t:equal(model.pricing, { unit = "token", prompt = "0.5", completion = "2" })
  t:equal(model.limits.max_prompt_tokens, 4)
end

function TestConversations(t)
  local client = dial.default()
  local s = client:session{ deployment = "echo" }
  assert(s:say("first question"))
  local url = client:conversations_home() .. "work/" .. "echo__First"
  assert(s:save(url))
  local conv, etag = assert(client.conversations:get(url))
  t:equal(conv.name, "First")
  t:equal(conv.messages[1].content, "first question")
  t:equal(type(etag), "string")
  local meta = assert(client.conversations:metadata(client:conversations_home() .. "work/"))
  t:equal(#meta.items, 1)
  local names = {}
  for item in client.conversations:list(client:conversations_home(), { recursive = true }) do
    names[#names + 1] = item.name
  end
  t:equal(names, { "echo__First" })
  local none, _, err = client.conversations:delete(url, { if_match = '"stale"' })
  t:equal(none, nil)
  t:equal(err.kind, "etag_mismatch")
  t:equal(assert(client.conversations:delete(url, { if_match = etag })), true)
  none, _, err = client.conversations:get(url)
  t:equal(err.kind, "not_found")
  t:equal(tostring(client.conversations), "dial.conversations")
end

function TestAppdataHome(t)
  t:equal(dial.default():appdata_home(), nil, "a user key has no app data")
  local app = keyed(EMULATOR.app_key)
  t:equal(app:appdata_home(), "files/AppBucket/appdata/report-bot/")
end
