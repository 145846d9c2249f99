-- Tests of client.shares, client.invitations and client.permissions against the emulator:
-- the default key shares with the second key.
local dial = require("dial")

local function colleague()
  return dial.client{ base_url = EMULATOR.url, api_key = EMULATOR.second_key, max_retries = 0 }
end

function TestShareAcceptRevoke(t)
  local me, other = dial.default(), colleague()
  local url = me:files_home() .. "reports/q3.txt"
  assert(me.files:upload(url, "the numbers"))
  local _, _, denied = other.files:download(url)
  t:equal(denied.status, 403, "not shared yet")
  local _, _, hidden = other.files:metadata(url)
  t:equal(hidden.status, 403, "no metadata before sharing")

  local inv = assert(me.shares:create{ resources = { url } })
  local id = inv.invitationLink:match("^/v1/invitations/(%w+)$")
  t:equal(type(id), "string", inv.invitationLink)
  local got = assert(other.invitations:get(inv.invitationLink))
  t:equal(got.id, id)
  t:equal(got.resources[1].url, url)
  t:equal(got.resources[1].permissions, { "READ" })
  local mine = assert(me.invitations:list())
  t:equal(#mine.invitations, 1)
  t:equal(mine.invitations[1].id, id)

  assert(other.invitations:accept(id))
  t:equal(assert(other.files:download(url)), "the numbers")
  local meta = assert(other.files:metadata(url))
  t:equal(meta.url, url)
  t:equal(meta.contentLength, #"the numbers")
  local shared = assert(other.shares:list())
  t:equal(#shared.resources, 1)
  t:equal(shared.resources[1].url, url)
  t:equal(shared.resources[1].nodeType, "ITEM")
  local byme = assert(me.shares:list{ with = "others", resourceTypes = { "FILE" } })
  t:equal(byme.resources[1].url, url)

  assert(me.shares:revoke{ resources = { { url = url } } })
  local _, _, gone = other.files:download(url)
  t:equal(gone.status, 403, "revoked")
  local _, _, unlisted = other.files:metadata(url)
  t:equal(unlisted.status, 403, "revoked metadata")
end

function TestShareErrors(t)
  local me, other = dial.default(), colleague()
  local folder = me:files_home() .. "team/"
  local r, msg, err = other.shares:create{ resources = { folder } }
  t:equal(r, nil)
  t:equal(err.status, 400)
  t:equal(err.message, "Resource " .. folder .. " does not belong to the user", msg)
  local inv = assert(me.shares:create{ resources = { folder }, maxAcceptedUsers = 2 })
  local _, _, forbidden = other.invitations:delete(inv.invitationLink)
  t:equal(forbidden.status, 403)
  assert(me.invitations:delete(inv.invitationLink))
  local _, _, missing = other.invitations:accept(inv.invitationLink)
  t:equal(missing.kind, "not_found")
  local ok, perr = pcall(me.shares.create, me.shares, { resource = { folder } })
  t:equal(ok, false)
  t:equal(tostring(perr):find("unknown field \"resource\"", 1, true) ~= nil, true, tostring(perr))
  local _, _, bad = me.invitations:get("no-such-id")
  t:equal(bad.kind, "invalid_url")
end

function TestShareDiscard(t)
  local me, other = dial.default(), colleague()
  local url = me:files_home() .. "d.txt"
  assert(me.files:upload(url, "d"))
  local inv = assert(me.shares:create{ resources = { { url = url, permissions = { "READ" } } } })
  assert(other.invitations:accept(inv.invitationLink))
  assert(other.shares:discard{ resources = { url } })
  t:equal(#assert(other.shares:list()).resources, 0)
end

function TestPermissionsGrant(t)
  local r, _, err = dial.default().permissions:grant{ resources = { "files/" .. EMULATOR.bucket .. "/a.png" }, receiver = "my-app" }
  t:equal(r, nil)
  t:equal(err.status, 403, "only an application's per-request key may grant")
  local ok, msg = pcall(dial.default().permissions.grant, dial.default().permissions, { receiver = "x", resources = 5 })
  t:equal(ok, false)
  t:equal(tostring(msg):find("cannot unmarshal", 1, true) ~= nil, true, tostring(msg))
end
