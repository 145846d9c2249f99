-- share_report.lua: share a report with a colleague, who reads it until access is revoked.
--
-- Shows: client.shares:create (an invitation to a file), a second client with the
-- colleague's key, client.invitations:accept, client.shares:list seen from both sides,
-- files:download of the shared file by the colleague, and client.shares:revoke taking the
-- access away (the colleague's download then fails with status 403).
-- Run:   dialua scripts/share_report.lua COLLEAGUE_API_KEY
--        (the emulator's second key is dial-emulator-key-2)
-- Prints (emulator): the shared URL, what the colleague reads, both listings, and the 403.
local dial = require("dial")

local colleague_key = assert(arg[1], "usage: share_report.lua COLLEAGUE_API_KEY")
local me = dial.default()
local colleague = dial.client{ base_url = me:base_url(), api_key = colleague_key, max_retries = 0 }

local report = dial.path.join(me:files_home(), "reports", "q3 summary.txt")
assert(me.files:upload(report, "Q3: revenue up 12%, costs flat."))

local invitation = assert(me.shares:create{ resources = { report } })
print("invitation created for " .. report:match("reports/.*$"))

assert(colleague.invitations:accept(invitation.invitationLink))
print("colleague reads: " .. assert(colleague.files:download(report)))

for _, side in ipairs({ { "shared with colleague", colleague, "me" }, { "shared by me", me, "others" } }) do
  local list = assert(side[2].shares:list{ with = side[3] })
  for _, r in ipairs(list.resources) do
    print(("%s: %s (%s)"):format(side[1], r.name, table.concat(r.permissions, ",")))
  end
end

assert(me.shares:revoke{ resources = { report } })
local _, _, err = colleague.files:download(report)
print(("after revoke: %s %d"):format(err.kind, err.status))
