-- The original examples of the Lua API (now in README.md's Lua API reference), as written, run
-- against the emulator.
local dial = require("dial")
local json = require("json")

function TestClientsExample(t)
  local client = dial.default()
  local client2 = dial.client{
    base_url     = EMULATOR.url,
    api_key      = function() return EMULATOR.key end,
    api_version  = "2024-02-15-preview",
    timeout      = 600,
    max_retries  = 2,
    headers      = { ["X-CONVERSATION-ID"] = "run-42" },
  }
  local pool = dial.pool{ max_connections = 100 }
  local c2   = pool:client{ base_url = EMULATOR.url, api_key = EMULATOR.key }
  t:equal((client2:ask("gpt-4o", "hi")), "hi")
  t:equal((c2:ask("gpt-4o", "hi")), "hi")
  t:equal((client:ask("gpt-4o", "hi")), "hi")
end

function TestDeploymentsExample(t)
  local client = dial.default()
  local lines = {}
  for _, d in ipairs(client:deployments()) do lines[#lines + 1] = d.id .. " " .. tostring(d.features.tools) end
  t:equal(lines[2], "gpt-4o true")
  local d   = client:deployment("gpt-4o")
  local cfg = client:deployment_configuration("my-app")     -- JSON Schema table, or nil
  local apps = client:applications()
  local app  = client:application("applications/" .. EMULATOR.bucket .. "/folder/my-app")
  local models = client:models()
  t:equal(d.id, "gpt-4o")
  t:equal(cfg.type, "object")
  t:equal(#apps, 2)
  t:equal(app.object, "application")
  t:equal(#models, #client:deployments())
end

function TestChatExample(t)
  local client = dial.default()
  local msgs = { { role = "user", content = "2+3=" } }
  local resp, msg, err = client:chat{
    deployment = "gpt-4o",
    messages = { {role = "system", content = "Be brief."}, {role = "user", content = "2+3="} },
    temperature = 0,
    api_version = "2024-02-15-preview",
  }
  t:equal(resp.choices[1].message.content, "2+3=")
  t:equal(resp.usage.total_tokens, 4)

  local text, resp2 = client:ask("gpt-4o", "2+3=")
  t:equal(text, "2+3=")

  local out = {}
  local resp3 = client:chat{ deployment = "gpt-4o", messages = msgs, stream = true,
    on_chunk = function(chunk) out[#out + 1] = (chunk.choices[1].delta.content or "") end }
  t:equal(table.concat(out), "2+3=")
  t:equal(resp3.choices[1].message.content, "2+3=")

  local n = 0
  for chunk in client:stream{ deployment = "gpt-4o", messages = msgs } do n = n + 1 end
  t:equal(n, 3)

  local list_of_requests = { { deployment = "gpt-4o", messages = msgs }, { deployment = "echo", messages = msgs } }
  local results = client:chat_many(list_of_requests, { concurrency = 8 })
  for i, r in ipairs(results) do t:equal(r.response and r.response.choices[1].message.content, "2+3=") end

  local emb = client:embeddings{ deployment = "text-embedding-3-small", input = { "a", "b" } }
  t:equal(#emb.data, 2)
end

function TestFilesExample(t)
  local client = dial.default()
  local home = client:files_home()                 -- "files/<bucket>/"
  local url  = dial.path.join(home, "reports", "q3 summary.txt")
  local meta = client.files:upload(url, "text content")
  local f = assert(io.open("big.bin", "wb")); f:write(string.rep("x", 4096)); f:close()
  local big = dial.path.join(home, "reports", "big.bin")
  assert(client.files:upload(big, { path = "big.bin", content_type = "application/octet-stream",
                                    if_none_match = "*" }))
  local body = client.files:download(url)
  assert(client.files:download(big, { to = "out.bin" }))
  local m    = client.files:metadata(url)
  local page = client.files:metadata(home .. "reports/", { limit = 100, token = nil })
  local urls = {}
  for item in client.files:list(home, { recursive = true }) do urls[#urls + 1] = item.url end
  assert(client.files:move(url, home .. "archive/q3.txt", { overwrite = true }))
  assert(client.files:copy(home .. "archive/q3.txt", home .. "copy.txt"))
  local ok, _, err = client.files:delete(home .. "copy.txt", { if_match = m.etag })
  t:equal(body, "text content")
  t:equal(meta.etag, m.etag)
  t:equal(#page.items, 2)
  t:equal(urls, { big, url })
  t:equal(ok, true, tostring(err))
  local _, _, stale = client.files:delete(home .. "archive/q3.txt", { if_match = "0" })
  t:equal(stale.kind, "etag_mismatch")
end

function TestJSONExample(t)
  local shared = { 1, 2 }
  local s = assert(json.encode({ a = shared, b = shared, e = json.array({}), o = json.object({}), n = json.null }))
  t:equal(s, '{"a":[1,2],"b":[1,2],"e":[],"n":null,"o":{}}')
  local cyc = {}
  cyc.self = cyc
  local r, err = json.encode(cyc)
  t:equal(r, nil)
  t:equal(type(err), "string")
  t:equal(json.decode('{"big":12345678901234567890}').big, "12345678901234567890")
end
