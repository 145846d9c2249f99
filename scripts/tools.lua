-- tools.lua: a tool-call loop, written out by hand.
--
-- Shows: offering tools, reading the model's tool_calls, running Lua functions for them and
-- sending the results back as tool messages until the model answers in text. (client:run{…}
-- does this loop for you; this script shows the protocol underneath.)
-- Run:   dialua scripts/tools.lua [deployment]
-- Prints (emulator): each tool call with its arguments, then the final answer built from the
-- tool results.
local dial = require("dial")
local json = require("json")

local client = dial.default()
local deployment = arg[1] or "gpt-4o"

local impl = {
  get_weather = function(args) return { city = args.city, celsius = 21, sky = "clear" } end,
}
local tools = {
  { type = "function", ["function"] = {
    name = "get_weather",
    description = "Current weather for a city",
    parameters = { type = "object", properties = { city = { type = "string" } }, required = { "city" } },
  } },
}

local messages = { { role = "user", content = "What is the weather in Paris?" } }
for step = 1, 5 do
  local resp = assert(client:chat{ deployment = deployment, messages = messages, tools = tools })
  local msg = resp.choices[1].message
  messages[#messages + 1] = msg
  if not msg.tool_calls then
    print("answer: " .. msg.content)
    return
  end
  for _, call in ipairs(msg.tool_calls) do
    local args = assert(json.decode(call["function"].arguments))
    print(("step %d: %s(%s)"):format(step, call["function"].name, call["function"].arguments))
    local result = impl[call["function"].name](args)
    messages[#messages + 1] = { role = "tool", tool_call_id = call.id, content = assert(json.encode(result)) }
  end
end
error("the model kept calling tools")
