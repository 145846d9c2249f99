-- custom_app.lua: deploy a custom application, chat with it, read its logs, take it down.
--
-- Shows: client.files:upload of the application's code, client.applications:save of a
-- function application (runtime, source folder, mapping), :deploy and :wait until DIAL has
-- deployed it, client:ask with the application's URL as the deployment, :logs, then
-- :undeploy, :wait and :delete.
-- Run:   dialua scripts/custom_app.lua
-- Prints (emulator): each step and status; the emulator's deployed function echoes.
local dial = require("dial")

local client = dial.default()
local src = dial.path.join(client:files_home(), "apps", "echo-bot/")
assert(client.files:upload(src .. "app.py", [[
from aidial_sdk import DIALApp
# ... an aidial-sdk application serving /chat ...
]]))

local url = dial.path.join(client:applications_home(), "echo-bot")
assert(client.applications:save(url, {
  display_name = "Echo bot",
  description = "Says back what it is told",
  ["function"] = {
    runtime = "python3.11",
    source_folder = src,
    mapping = { chat_completion = "/chat" },
    env = { LOG_LEVEL = "info" },
  },
}))
print("saved", url)

local app = assert(client.applications:deploy(url))
print("deploy:", app["function"].status)
app = assert(client.applications:wait(url, { interval = 10 }))
print("now:", app["function"].status)
if app["function"].status ~= "DEPLOYED" then
  error("deployment failed: " .. tostring(app["function"].error))
end

print("answer:", (assert(client:ask(url, "Hello, bot"))))
for _, log in ipairs(assert(client.applications:logs(url))) do
  io.write(log.content)
end

app = assert(client.applications:undeploy(url))
print("undeploy:", app["function"].status)
print("now:", assert(client.applications:wait(url, { interval = 10 }))["function"].status)
assert(client.applications:delete(url))
print("deleted")
