-- Tests of attachments on client:chat, client:ask and session:say, against the emulator.
local dial = require("dial")

local function write(name, content)
  local f = assert(io.open(name, "wb"))
  f:write(content)
  f:close()
end

local function attached_url(response)
  return response.choices[1].message.content:match("<([^>]+)>")
end

function TestChatAttachments(t)
  local client = dial.default()
  write("photo.png", "pixels")
  write("report.bin", "%PDF")
  local shared = client:files_home() .. "team/notes.txt"
  local resp = assert(client:chat{deployment = "echo", messages = {
    {role = "user", content = "first"},
    {role = "assistant", content = "ok"},
    {role = "user", content = "look"},
  }, attachments = {"photo.png", {path = "report.bin", type = "application/pdf", title = "Report"}, {url = shared}}})
  local text = resp.choices[1].message.content
  local png = text:match("photo%.png <([^>]+)> %(image/png%)")
  t:equal(png ~= nil, true, text)
  t:equal(png:match("^files/" .. EMULATOR.bucket .. "/dialua%-attachments/%x+/photo%.png$") ~= nil, true, png)
  t:equal(text:find("Report <[^>]+> %(application/pdf%)") ~= nil, true, text)
  t:equal(text:find("notes.txt <" .. shared .. "> (text/plain; charset=utf-8)", 1, true) ~= nil, true, text)
  t:equal(assert(client.files:download(png)), "pixels")

  -- Attaching the same file again uploads nothing: content changed behind its address stays.
  assert(client.files:upload(png, "tampered"))
  local answer = assert(client:ask("echo", "again", {attachments = {"photo.png"}}))
  t:equal(answer, "again\n[attachments: photo.png <" .. png .. "> (image/png)]")
  t:equal(assert(client.files:download(png)), "tampered")

  local many = client:chat_many{{deployment = "echo", api_version = "2024-02-01", headers = {["X-Conversation-Id"] = "c1"},
    messages = {{role = "user", content = "m"}}, attachments = {"photo.png"}}}
  t:equal(many[1].response.choices[1].message.content, "m\n[attachments: photo.png <" .. png .. "> (image/png)]")
end

function TestStreamedAndSessionAttachments(t)
  local client = dial.default()
  write("a.txt", "A")
  local chunks = 0
  local resp = assert(client:chat{deployment = "echo", stream = true, messages = {{role = "user", content = "s"}},
    attachments = {"a.txt"}, on_chunk = function() chunks = chunks + 1 end})
  t:equal(chunks > 0, true)
  local url = attached_url(resp)
  t:equal(resp.choices[1].message.content, "s\n[attachments: a.txt <" .. url .. "> (text/plain; charset=utf-8)]")

  local streamed = ""
  for chunk in client:stream{deployment = "echo", messages = {{role = "user", content = "it"}}, attachments = {"a.txt"}} do
    local choice = chunk.choices[1]
    streamed = streamed .. (choice and choice.delta.content or "")
  end
  t:equal(streamed, "it\n[attachments: a.txt <" .. url .. "> (text/plain; charset=utf-8)]")

  local session = client:session{deployment = "echo"}
  local text = assert(session:say("hi", {attachments = {{path = "a.txt", title = "A"}}}))
  t:equal(text, "hi\n[attachments: A <" .. url .. "> (text/plain; charset=utf-8)]")
  local msgs = session:messages()
  t:equal(msgs[1].custom_content.attachments[1].url, url, "the history keeps the attachment")
  t:equal(assert(session:say("plain")), "plain", "a message without attachments echoes as before")
end

function TestAttachmentErrors(t)
  local client = dial.default()
  local r, msg = client:chat{deployment = "echo", messages = {{role = "user", content = "x"}}, attachments = {"missing.png"}}
  t:equal(r, nil)
  t:equal(msg:find("missing.png", 1, true) ~= nil, true, msg)
  local ok, err = pcall(client.chat, client, {deployment = "echo", messages = {{role = "user", content = "x"}},
    attachments = {{path = "a", url = "b"}}})
  t:equal(ok, false)
  t:equal(tostring(err):find("attachment 1: give exactly one of 'path' and 'url'", 1, true) ~= nil, true, tostring(err))
  ok, err = pcall(client.chat, client, {deployment = "echo", messages = {{role = "user", content = "x"}},
    attachments = {{path = "a", size = "1"}}})
  t:equal(tostring(err):find("unknown key 'size'", 1, true) ~= nil, true, tostring(err))
  write("b.txt", "B")
  local none, nmsg = client:chat{deployment = "echo", messages = {{role = "system", content = "x"}}, attachments = {"b.txt"}}
  t:equal(none, nil)
  t:equal(nmsg:find("no user message", 1, true) ~= nil, true, nmsg)
end
