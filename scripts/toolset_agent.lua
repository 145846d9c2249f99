-- toolset_agent.lua: an agent using an MCP toolset and a Lua tool together.
--
-- Shows: client:toolsets() and client:toolset_tools(id) to discover what a toolset offers, and
-- client:run{toolsets = {…}, tools = {…}}: the toolset's MCP tools, called through DIAL, are
-- offered to the model beside a Lua function, and their answers come back into the history.
-- Run:   dialua scripts/toolset_agent.lua [question]
-- Prints (emulator): the toolsets and their tools, each tool answer, and the final answer.
local dial = require("dial")

local client = dial.default()
local question = arg[1] or "Tell me about the city of Lisbon"

for _, set in ipairs(assert(client:toolsets())) do
  local names = {}
  for _, tool in ipairs(assert(client:toolset_tools(set.id)).tools) do names[#names + 1] = tool.name end
  print(("toolset %s: %s"):format(set.id, table.concat(names, ", ")))
end

local resp, history = assert(client:run{
  deployment = "gpt-4o",
  messages = { { role = "user", content = question } },
  toolsets = { "text-tools" },
  tools = {
    population = {
      description = "Population of a city",
      parameters = { type = "object", properties = { city = { type = "string" } }, required = { "city" } },
      fn = function(args) return { city = args.city, population = 545000 } end,
    },
  },
  max_steps = 4,
})
for _, m in ipairs(history) do
  if m.role == "tool" then print("tool answered: " .. m.content) end
end
print(resp.choices[1].message.content)
