-- Tests of client:run, sessions, prompts and dial.template, against the emulator (whose gpt-4o
-- calls the tools it is offered and then answers from their results).
local dial = require("dial")
local json = require("json")

local weather = {
  description = "Current weather for a city",
  parameters = { type = "object", properties = { city = { type = "string" } }, required = { "city" } },
  fn = function(args) return { city = args.city, celsius = 21 } end,
}

function TestRunExample(t)
  local client = dial.default()
  local resp, history = client:run{
    deployment = "gpt-4o",
    messages = { {role = "user", content = "What is the weather in Paris?"} },
    tools = { get_weather = weather },
    max_steps = 8,
  }
  t:equal(resp.choices[1].message.content, 'get_weather returned {"celsius":21,"city":"Paris"}')
  t:equal(#history, 4, "user, assistant tool call, tool result, answer")
  t:equal(history[2].tool_calls[1]["function"].name, "get_weather")
  t:equal(history[3].role, "tool")
  t:equal(history[3].tool_call_id, history[2].tool_calls[1].id)
  t:equal(history[4].content, resp.choices[1].message.content)
end

function TestRunSeveralToolsAndStreaming(t)
  local client = dial.default()
  local calls, chunks = {}, 0
  local resp, history = assert(client:run{
    deployment = "gpt-4o",
    messages = { { role = "user", content = "Weather and time in Oslo" } },
    tools = {
      get_weather = weather,
      get_time = { parameters = { type = "object", properties = { zone = { type = "string" } } },
                   fn = function(args) calls[#calls + 1] = "time " .. args.zone; return "12:00" end },
    },
    on_chunk = function() chunks = chunks + 1 end,
    temperature = 0,
  })
  t:equal(calls, { "time Oslo" })
  t:equal(chunks > 4, true, "chunks of every step reach on_chunk")
  t:equal(resp.choices[1].message.content, "get_time returned 12:00\nget_weather returned {\"celsius\":21,\"city\":\"Oslo\"}")
  t:equal(#history[2].tool_calls, 2, "both tools were called in one step")
end

function TestToolThatRaises(t)
  local resp = assert(dial.default():run{
    deployment = "gpt-4o",
    messages = { { role = "user", content = "weather in Rome" } },
    tools = { get_weather = { fn = function() error("sensor offline") end } },
  })
  local answer = resp.choices[1].message.content
  t:equal(answer:find("sensor offline", 1, true) ~= nil, true, answer)
end

function TestModelThatNeverStops(t)
  local client = dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.key }
  local n = 0
  local resp, msg, err = client:run{
    deployment = "loop",
    messages = { { role = "user", content = "go" } },
    tools = { get_weather = { fn = function() n = n + 1; return "ok" end } },
    max_steps = 3,
  }
  t:equal(resp, nil)
  t:equal(err.kind, "tool_loop")
  t:equal(n, 3)
  t:equal(#err.history, 1 + 3 * 2)
end

function TestRunMisuse(t)
  local client = dial.default()
  local ok, msg = pcall(client.run, client, { deployment = "gpt-4o", messages = {}, tools = { x = { description = "no fn" } } })
  t:equal(ok, false)
  t:equal(msg:find("needs fn", 1, true) ~= nil, true, msg)
  ok, msg = pcall(client.run, client, { deployment = "gpt-4o", messages = {}, max_steps = 0 })
  t:equal(ok, false)
  local ok2, err = pcall(client.run, client, { deployment = "gpt-4o", stream = true,
    messages = { { role = "user", content = "x" } }, on_chunk = function() error("chunk boom") end })
  t:equal(ok2, false)
  t:equal(tostring(err):find("chunk boom", 1, true) ~= nil, true, tostring(err))
end

function TestSessionSavedAndResumed(t)
  local client = dial.default()
  local s = client:session{ deployment = "gpt-4o", system = "You are terse." }
  local answer = assert(s:say("Name a prime."))
  t:equal(answer, "Name a prime.")
  local streamed = {}
  assert(s:say("And the next one?", { on_chunk = function(c) streamed[#streamed + 1] = c end }))
  t:equal(#streamed > 0, true)
  t:equal(#s:messages(), 4)
  local url = dial.path.join(client:conversations_home(), "primes")
  assert(s:save(url))

  local other = dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.key }
  local s2 = assert(other:load_session(url))
  t:equal(#s2:messages(), 4)
  t:equal(s2:messages()[1].content, "Name a prime.")
  assert(s2:say("One more?"))
  assert(s2:save(url))

  assert(s:say("x"))
  local _, _, err = s:save(url)
  t:equal(err.kind, "etag_mismatch", "a stale session does not overwrite another writer's save")
  assert(s:save(url, { force = true }))
  local _, _, exists = s:save(dial.path.join(client:conversations_home(), "primes"), { if_none_match = "*" })
  t:equal(exists.kind, "etag_mismatch")
  local _, _, missing = client:load_session(client:conversations_home() .. "nope")
  t:equal(missing.kind, "not_found")
end

function TestSessionWithTools(t)
  local s = dial.default():session{ deployment = "gpt-4o", tools = { get_weather = weather }, temperature = 0 }
  local answer = assert(s:say("Weather in Lima?"))
  t:equal(answer, 'get_weather returned {"celsius":21,"city":"Lima"}')
  t:equal(#s:messages(), 4)
end

function TestPromptsAndTemplates(t)
  local client = dial.default()
  local url = dial.path.join(client:prompts_home(), "library", "summary")
  local meta = assert(client.prompts:save(url, { name = "summary", content = "Summarize {{text}} in {{n}} words." }))
  t:equal(meta.name, "summary")
  local p, etag = assert(client.prompts:get(url))
  t:equal(p.content, "Summarize {{text}} in {{n}} words.")
  t:equal(type(etag), "string")
  local text = dial.template(p.content, { text = "the report", n = 50 })
  t:equal(text, "Summarize the report in 50 words.")
  local names = {}
  for item in client.prompts:list(client:prompts_home(), { recursive = true }) do names[#names + 1] = item.name end
  t:equal(names, { "summary" })
  t:equal(assert(client.prompts:metadata(url)).etag, etag)
  local _, _, stale = client.prompts:save(url, { name = "summary", content = "v2" }, { if_match = "0" })
  t:equal(stale.kind, "etag_mismatch")
  t:equal(client.prompts:delete(url, { if_match = etag }), true)
  local _, _, gone = client.prompts:get(url)
  t:equal(gone.kind, "not_found")

  local ok, msg = pcall(dial.template, "Hi {{name}}, {{ greeting }}!", { name = "Ann" })
  t:equal(ok, false)
  t:equal(msg:find('"greeting"', 1, true) ~= nil, true, msg)
  t:equal(msg:find("dial.template: no value for", 1, true) ~= nil, true, "one prefix: " .. msg)
  t:equal(dial.template("{{ a }} and {{b|two}}", { a = 1 }), "1 and two")
  t:equal(dial.template("no placeholders"), "no placeholders")
end

-- The same conversation saved under another spelling of its URL still refuses to overwrite
-- a change made elsewhere.
function TestSessionSaveUnderAnotherSpelling(t)
  local client = dial.default()
  local home = client:conversations_home()
  local url = dial.path.join(home, "my+chat")
  t:equal(url, home .. "my+chat", "'+' is spelled as Core spells it")
  local s = client:session{ deployment = "echo" }
  assert(s:say("hi"))
  assert(s:save(url))
  local other = dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.key }
  local s2 = assert(other:load_session(home .. "my%2Bchat"))
  assert(s2:say("changed elsewhere"))
  assert(s2:save(url))
  assert(s:say("x"))
  for _, spelling in ipairs{ home .. "my%2Bchat", home .. "my%2bchat", EMULATOR.url .. "/v1/" .. home .. "my+chat",
      EMULATOR.url .. "/v1/" .. home .. "my%2Bchat" } do
    local ok, _, err = s:save(spelling)
    t:equal(ok, nil, spelling)
    t:equal(err.kind, "etag_mismatch", spelling)
  end
  t:equal(#assert(other:load_session(url)):messages(), 4, "the other writer's change is kept")
end

-- An older DIAL application sends a tool call's type in every chunk ("functionfunction" once
-- merged); client:run sends "function" back, in block and stream form.
function TestRunWithLegacyToolType(t)
  local client = dial.default()
  for _, stream in ipairs{ false, true } do
    local resp, history = client:run{
      deployment = "old-app", stream = stream,
      messages = { { role = "user", content = "Weather in Lima?" } },
      tools = { get_weather = weather },
    }
    t:equal(resp and resp.choices[1].message.content, 'get_weather returned {"celsius":21,"city":"Lima"}', tostring(stream))
    t:equal(history[2].tool_calls[1].type, "function")
  end
end
