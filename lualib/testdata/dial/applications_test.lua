-- Tests of client.applications (custom applications) in the dial module, against the emulator.
local dial = require("dial")

-- echo_app saves a function application whose sources are one uploaded file, and returns its
-- URL and the source folder.
local function echo_app(client, name)
  local src = client:files_home() .. name .. "-src/"
  assert(client.files:upload(src .. "app.py", "print('hi')"))
  local url = client:applications_home() .. "team/" .. name
  local meta = assert(client.applications:save(url, {
    display_name = "Echo " .. name,
    description_keywords = { "demo" },
    ["function"] = { runtime = "python3.11", source_folder = src,
      mapping = { chat_completion = "/chat" }, env = { GREETING = "hi" } },
  }, { if_none_match = "*" }))
  return url, src, meta
end

function TestSaveGetListDelete(t)
  local client = dial.default()
  t:equal(client:applications_home(), "applications/" .. EMULATOR.bucket .. "/")
  local url, src, meta = echo_app(client, "echo")
  t:equal(meta.resourceType, "APPLICATION")
  t:equal(meta.url, url)
  local app, etag = assert(client.applications:get(url))
  t:equal(etag, meta.etag)
  t:equal(app.name, url, "Core names the application by its URL")
  t:equal(app.display_name, "Echo echo")
  t:equal(app.description_keywords, { "demo" }, "undeclared members come back")
  t:equal(app["function"].status, "UNDEPLOYED")
  t:equal(app["function"].source_folder, src)
  t:equal(app["function"].env, { GREETING = "hi" })

  local names = {}
  for item in client.applications:list(client:applications_home(), { recursive = true }) do
    names[#names + 1] = item.name
  end
  t:equal(names, { "echo" })
  t:equal(assert(client.applications:metadata(url)).etag, etag)

  local _, _, stale = client.applications:save(url, app, { if_none_match = "*" })
  t:equal(stale.kind, "etag_mismatch")
  assert(client.applications:delete(url, { if_match = etag }))
  local gone, _, err = client.applications:get(url)
  t:equal(gone, nil)
  t:equal(err.kind, "not_found")
end

function TestSaveRefusesBadApplications(t)
  local client = dial.default()
  local url = client:applications_home() .. "bad"
  local r, msg, err = client.applications:save(url, { display_name = "nothing to run" })
  t:equal(r, nil)
  t:equal(err.status, 400)
  t:equal(err.message, "Application endpoint or function must be provided")
  t:equal(msg:find("Application endpoint or function must be provided", 1, true) ~= nil, true, msg)
  t:equal(select(3, client.applications:save(url, { ["function"] = { runtime = "python3.11",
    source_folder = client:files_home() .. "src/", mapping = { chat_completion = "chat" } } })).status, 400)
  local ok, raised = pcall(client.applications.save, client.applications, url, { ["function"] = 5 })
  t:equal(ok, false)
  t:equal(tostring(raised):find("application table expected", 1, true) ~= nil, true, tostring(raised))
  local _, _, bad = client.applications:deploy(client:files_home() .. "x")
  t:equal(bad.kind, "invalid_url", "a files URL is refused before any request")
end

function TestDeployChatLogsUndeploy(t)
  local client = dial.default()
  local url, src = echo_app(client, "bot")
  local _, _, notyet = client.applications:logs(url)
  t:equal(notyet.status, 409)
  t:equal(notyet.message, "Application is not deployed: " .. url)
  local _, _, down = client:chat { deployment = url, messages = { { role = "user", content = "hi" } } }
  t:equal(down.status, 503, "no endpoint until deployed")

  local app = assert(client.applications:deploy(url))
  t:equal(app["function"].status, "DEPLOYING")
  local _, _, twice = client.applications:deploy(url)
  t:equal(twice.status, 409)
  t:equal(twice.message, "Application must be undeployed: " .. url)

  app = assert(client.applications:get(url))
  t:equal(app["function"].status, "DEPLOYED", "the emulator finishes a deploy on the next read")
  t:equal(client:ask(url, "ping"), "ping")

  local found
  for _, a in ipairs(assert(client:applications())) do
    if a.id == url then found = a end
  end
  t:equal(found ~= nil, true, "client:applications() lists custom applications")
  t:equal(found.display_name, "Echo bot")
  t:equal(client:application(url)["function"].status, "DEPLOYED")

  local logs = assert(client.applications:logs(url))
  t:equal(#logs, 1)
  t:equal(logs[1].content, "deployed " .. url .. " from " .. src .. " (1 files)\nPOST /chat/completions\n")

  local _, _, busy = client.applications:delete(url)
  t:equal(busy.status, 409)
  app = assert(client.applications:undeploy(url))
  t:equal(app["function"].status, "UNDEPLOYING")
  t:equal(app.endpoint, nil)
  t:equal(assert(client.applications:wait(url, { interval = 0.5 }))["function"].status, "UNDEPLOYED")
  t:equal(assert(client.applications:wait(url))["function"].status, "UNDEPLOYED", "a settled application returns at once")
  local ok, raised = pcall(client.applications.wait, client.applications, url, { interval = 0 })
  t:equal(ok, false)
  t:equal(tostring(raised):find("interval must be positive", 1, true) ~= nil, true, tostring(raised))
  assert(client.applications:delete(url))
end

function TestDeployFailure(t)
  local client = dial.default()
  local url = client:applications_home() .. "empty"
  assert(client.applications:save(url, { ["function"] = { runtime = "python3.11",
    source_folder = client:files_home() .. "nothing-here/", mapping = { chat_completion = "/chat" } } }))
  assert(client.applications:deploy(url))
  local fn = assert(client.applications:get(url))["function"]
  t:equal(fn.status, "FAILED")
  t:equal(fn.error, "Source folder is empty")
end

function TestHandle(t)
  local client = dial.default()
  t:equal(tostring(client.applications), "dial.applications")
  local ok, err = pcall(function() return client.applications:nope() end)
  t:equal(ok, false)
  t:equal(tostring(err):find("dial applications has no method or field 'nope'", 1, true) ~= nil, true, tostring(err))
  ok, err = pcall(client.applications.get, "x")
  t:equal(ok, false)
  t:equal(tostring(err):find("client.applications:get: called with '.'", 1, true) ~= nil, true, tostring(err))
  t:equal(#assert(client.applications()), #assert(client:applications()), "callable with '.' or ':'")
end
