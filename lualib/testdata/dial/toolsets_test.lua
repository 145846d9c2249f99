-- Tests of toolsets and of client:run with MCP toolsets, against the emulator.
local dial = require("dial")

function TestToolsetListing(t)
  local client = dial.default()
  local sets = assert(client:toolsets())
  t:equal(#sets, 1)
  t:equal(sets[1].id, "text-tools")
  t:equal(sets[1].allowed_tools, { "word_count", "reverse" })
  t:equal(assert(client:toolset("text-tools")).transport, "HTTP")
  local _, _, err = client:toolset("nope")
  t:equal(err.kind, "not_found")
  local tools = assert(client:toolset_tools("text-tools")).tools
  t:equal(#tools, 2)
  t:equal(tools[1].name, "word_count")
  t:equal(tools[1].inputSchema.required, { "text" })
end

function TestRunWithToolsetAndLuaTool(t)
  local client = dial.default()
  local calls = {}
  local resp, history = assert(client:run{
    deployment = "gpt-4o",
    messages = { { role = "user", content = "Describe the city of Paris" } },
    toolsets = { "text-tools" },
    tools = { shout = {
      description = "Upper-cases a text.",
      parameters = { type = "object", properties = { text = { type = "string" } } },
      fn = function(args) calls[#calls + 1] = args.text; return args.text:upper() end,
    } },
  })
  t:equal(calls, { "Paris" })
  local answers = {}
  for _, m in ipairs(history) do
    if m.role == "tool" then answers[#answers + 1] = m.content end
  end
  t:equal(answers, { "PARIS", "1", "siraP" }, "the Lua tool first, then the toolset's in its order")
  t:equal(type(resp.choices[1].message.content), "string")

  local r, msg, err = client:run{ deployment = "gpt-4o", toolsets = "nope",
    messages = { { role = "user", content = "x" } } }
  t:equal(r, nil)
  t:equal(err.kind, "not_found", msg)
  local ok, perr = pcall(client.run, client, { deployment = "gpt-4o", toolsets = { 1 },
    messages = { { role = "user", content = "x" } } })
  t:equal(ok, false)
  t:equal(tostring(perr):find("'toolsets' must be", 1, true) ~= nil, true, tostring(perr))
end
