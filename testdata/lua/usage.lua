-- Two chats, for --usage and --verbose.
local dial = require("dial")
local client = dial.default()
assert(client:ask("echo", "one two three"))
assert(client:chat{ deployment = "gpt-4o", messages = { { role = "user", content = "four five" } }, stream = true })
print("done")
