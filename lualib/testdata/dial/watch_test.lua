-- Tests of client:watch against the emulator.
local dial = require("dial")

function TestWatchUploadMoveDelete(t)
  local client = dial.default()
  local home = client:files_home()
  local a, b = home .. "inbox/a.txt", home .. "inbox/b.txt"
  local seen = {}
  local connects = 0
  local ok = assert(client:watch({ a, b }, function(event)
    seen[#seen + 1] = event.action .. " " .. event.url:sub(#home + 1)
    t:equal(type(event.timestamp), "number")
    return #seen < 4
  end, { on_connect = function()
    connects = connects + 1
    assert(client.files:upload(a, "first"))
    assert(client.files:move(a, b))
    assert(client.files:delete(b))
  end }))
  t:equal(ok, true)
  t:equal(connects, 1)
  t:equal(seen, { "CREATE inbox/a.txt", "CREATE inbox/b.txt", "DELETE inbox/a.txt", "DELETE inbox/b.txt" })
end

function TestWatchRenewsASilentSubscription(t)
  local client = dial.default()
  local url = client:files_home() .. "silent.txt"
  local connects, event = 0, nil
  assert(client:watch(url, function(e) event = e; return false end, {
    idle = 0.02, wait_min = 0.001, wait_max = 0.002,
    on_connect = function()
      connects = connects + 1
      if connects == 2 then assert(client.files:upload(url, "x")) end
    end }))
  t:equal(connects, 2)
  t:equal(event.action, "CREATE")
end

function TestWatchSingleURLAndRaise(t)
  local client = dial.default()
  local url = client:files_home() .. "one.txt"
  local ok, err = pcall(client.watch, client, url, function(event)
    error("stop here: " .. event.action)
  end, { on_connect = function() assert(client.files:upload(url, "x")) end })
  t:equal(ok, false)
  t:equal(tostring(err):find("stop here: CREATE", 1, true) ~= nil, true, tostring(err))
end

function TestWatchOnConnectRaises(t)
  local client = dial.default()
  local ok, err = pcall(client.watch, client, client:files_home() .. "never.txt", function() end,
    { on_connect = function() error("cannot start") end })
  t:equal(ok, false)
  t:equal(tostring(err):find("cannot start", 1, true) ~= nil, true, tostring(err))
end

function TestWatchErrors(t)
  local client = dial.default()
  local folder = client:files_home() .. "inbox/"
  local r, _, err = client:watch(folder, function() end)
  t:equal(r, nil)
  t:equal(err.status, 400)
  t:equal(err.message, "resource folder is not supported: " .. folder)
  local _, _, foreign = client:watch("files/" .. "EmuBucketSecond/x.txt", function() end)
  t:equal(foreign.status, 403)
  local ok, msg = pcall(client.watch, client, {}, function() end)
  t:equal(ok, false)
  t:equal(tostring(msg):find("at least one URL", 1, true) ~= nil, true, tostring(msg))
  ok, msg = pcall(client.watch, client, folder .. "x", function() end, { retries = 3 })
  t:equal(tostring(msg):find("unknown option 'retries'", 1, true) ~= nil, true, tostring(msg))
end

function TestWatchSharedFile(t)
  local me = dial.default()
  local other = dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.second_key }
  local url = me:files_home() .. "team/status.txt"
  assert(me.files:upload(url, "v1"))
  local inv = assert(me.shares:create{ resources = { url } })
  assert(other.invitations:accept(inv.invitationLink))
  local event
  assert(other:watch(url, function(e) event = e; return false end, {
    on_connect = function() assert(me.files:upload(url, "v2")) end }))
  t:equal(event.action, "UPDATE")
  t:equal(event.url, url)
  t:equal(assert(other.files:download(url)), "v2")
end
