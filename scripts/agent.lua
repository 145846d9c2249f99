-- agent.lua: a tool-using agent with client:run.
--
-- Shows: Lua functions offered as tools with a JSON Schema; client:run calls them when the
-- model asks (several in one step when it wants), sends their results back and returns the
-- final answer with the whole history. A tool that raises is reported to the model.
-- Run:   dialua scripts/agent.lua [question]
-- Prints (emulator): each tool call, then the answer built from the tool results and the
-- number of messages exchanged: "5 messages".
local dial = require("dial")

local client = dial.default()
local question = arg[1] or "What is the weather and the local time in Paris?"

local tools = {
  get_weather = {
    description = "Current weather for a city",
    parameters = { type = "object", properties = { city = { type = "string" } }, required = { "city" } },
    fn = function(args)
      print("-> get_weather(" .. args.city .. ")")
      return { city = args.city, celsius = 21, sky = "clear" }
    end,
  },
  get_time = {
    description = "Local time in a city",
    parameters = { type = "object", properties = { city = { type = "string" } }, required = { "city" } },
    fn = function(args)
      print("-> get_time(" .. args.city .. ")")
      return "14:05"
    end,
  },
}

local resp, history = assert(client:run{
  deployment = "gpt-4o",
  messages = { { role = "user", content = question } },
  tools = tools,
  max_steps = 5,
})
print(resp.choices[1].message.content)
print(#history .. " messages")
