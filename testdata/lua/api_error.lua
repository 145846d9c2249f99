-- Calls DIAL and prints the error it gets, then fails with it.
local dial = require("dial")
local client = dial.default()
local list, msg, err = client:deployments()
print("message: " .. tostring(msg))
print("kind: " .. tostring(err and err.kind) .. ", status: " .. tostring(err and err.status))
assert(list, msg)
