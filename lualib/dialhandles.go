package lualib

import (
	lua "github.com/yuin/gopher-lua"
	luar "layeh.com/gopher-luar"
)

// The Lua surface of the dial module's handles: every method and field a script can reach,
// the lists README.md documents (TestHandleSurfaceMatchesREADME compares them). To add a Lua
// method, write it as a method of the handle type taking *luar.LState and add one line to its
// type's list here, and a row to README.md; a Go method not listed here is not visible to Lua.

// clientType is the surface of a client: dial.default(), dial.client{…}, pool:client{…}.
var clientType = &handleType[*clientHandle]{
	name: "dial client", recv: "client",
	methods: map[string]func(*clientHandle, *luar.LState) int{
		"base_url":                 (*clientHandle).BaseURL,
		"deployments":              (*clientHandle).Deployments,
		"models":                   (*clientHandle).Models,
		"deployment":               (*clientHandle).Deployment,
		"model":                    (*clientHandle).Model,
		"application":              (*clientHandle).Application,
		"deployment_configuration": (*clientHandle).DeploymentConfiguration,
		"user_info":                (*clientHandle).UserInfo,
		"files_home":               (*clientHandle).FilesHome,
		"conversations_home":       (*clientHandle).ConversationsHome,
		"prompts_home":             (*clientHandle).PromptsHome,
		"bucket":                   (*clientHandle).Bucket,
		"chat":                     (*clientHandle).Chat,
		"ask":                      (*clientHandle).Ask,
		"extract":                  (*clientHandle).Extract,
		"stream":                   (*clientHandle).Stream,
		"chat_many":                (*clientHandle).ChatMany,
		"embeddings":               (*clientHandle).Embeddings,
		"run":                      (*clientHandle).Run,
		"session":                  (*clientHandle).Session,
		"load_session":             (*clientHandle).LoadSession,
		"applications_home":        (*clientHandle).ApplicationsHome,
		"request":                  (*clientHandle).Request,
		"tokenize":                 (*clientHandle).Tokenize,
		"truncate_prompt":          (*clientHandle).TruncatePrompt,
		"limits":                   (*clientHandle).Limits,
		"usage":                    (*clientHandle).Usage,
		"user_limits":              (*clientHandle).UserLimits,
		"user_usage":               (*clientHandle).UserUsage,
		"appdata_home":             (*clientHandle).AppdataHome,
		"toolsets":                 (*clientHandle).Toolsets,
		"toolset":                  (*clientHandle).Toolset,
		"toolset_tools":            (*clientHandle).ToolsetTools,
		"watch":                    (*clientHandle).Watch,
	},
	fields: map[string]func(*clientHandle) lua.LValue{
		"files":         func(c *clientHandle) lua.LValue { return c.files },
		"prompts":       func(c *clientHandle) lua.LValue { return c.prompts },
		"applications":  func(c *clientHandle) lua.LValue { return c.applications },
		"conversations": func(c *clientHandle) lua.LValue { return c.conversations },
		"shares":        func(c *clientHandle) lua.LValue { return c.shares },
		"invitations":   func(c *clientHandle) lua.LValue { return c.invitations },
		"permissions":   func(c *clientHandle) lua.LValue { return c.permissions },
	},
}

// filesType is the surface of client.files.
var filesType = &handleType[*filesHandle]{
	name: "dial files", recv: "client.files",
	methods: map[string]func(*filesHandle, *luar.LState) int{
		"upload":   (*filesHandle).Upload,
		"download": (*filesHandle).Download,
		"metadata": (*filesHandle).Metadata,
		"list":     (*filesHandle).List,
		"move":     (*filesHandle).Move,
		"copy":     (*filesHandle).Copy,
		"delete":   (*filesHandle).Delete,
	},
}

// promptsType is the surface of client.prompts.
var promptsType = &handleType[*promptsHandle]{
	name: "dial prompts", recv: "client.prompts",
	methods: map[string]func(*promptsHandle, *luar.LState) int{
		"save":     (*promptsHandle).Save,
		"get":      (*promptsHandle).Get,
		"delete":   (*promptsHandle).Delete,
		"metadata": (*promptsHandle).Metadata,
		"list":     (*promptsHandle).List,
	},
}

// applicationsType is the surface of client.applications; calling it, client:applications(),
// lists the application deployments.
var applicationsType = &handleType[*applicationsHandle]{
	name: "dial applications", recv: "client.applications",
	methods: map[string]func(*applicationsHandle, *luar.LState) int{
		"save":     (*applicationsHandle).Save,
		"get":      (*applicationsHandle).Get,
		"delete":   (*applicationsHandle).Delete,
		"metadata": (*applicationsHandle).Metadata,
		"list":     (*applicationsHandle).List,
		"deploy":   (*applicationsHandle).Deploy,
		"undeploy": (*applicationsHandle).Undeploy,
		"wait":     (*applicationsHandle).Wait,
		"logs":     (*applicationsHandle).Logs,
	},
	call: (*applicationsHandle).list,
}

// conversationsType is the surface of client.conversations.
var conversationsType = &handleType[*conversationsHandle]{
	name: "dial conversations", recv: "client.conversations",
	methods: map[string]func(*conversationsHandle, *luar.LState) int{
		"get":      (*conversationsHandle).Get,
		"delete":   (*conversationsHandle).Delete,
		"metadata": (*conversationsHandle).Metadata,
		"list":     (*conversationsHandle).List,
	},
}

// sharesType is the surface of client.shares.
var sharesType = &handleType[*sharesHandle]{
	name: "dial shares", recv: "client.shares",
	methods: map[string]func(*sharesHandle, *luar.LState) int{
		"create":  (*sharesHandle).Create,
		"list":    (*sharesHandle).List,
		"discard": (*sharesHandle).Discard,
		"revoke":  (*sharesHandle).Revoke,
	},
}

// invitationsType is the surface of client.invitations.
var invitationsType = &handleType[*invitationsHandle]{
	name: "dial invitations", recv: "client.invitations",
	methods: map[string]func(*invitationsHandle, *luar.LState) int{
		"list":   (*invitationsHandle).List,
		"get":    (*invitationsHandle).Get,
		"accept": (*invitationsHandle).Accept,
		"delete": (*invitationsHandle).Delete,
	},
}

// permissionsType is the surface of client.permissions.
var permissionsType = &handleType[*permissionsHandle]{
	name: "dial permissions", recv: "client.permissions",
	methods: map[string]func(*permissionsHandle, *luar.LState) int{
		"grant": (*permissionsHandle).Grant,
	},
}

// poolType is the surface of a pool made with dial.pool{}.
var poolType = &handleType[*poolHandle]{
	name: "dial pool", recv: "pool",
	methods: map[string]func(*poolHandle, *luar.LState) int{
		"client": (*poolHandle).Client,
		"close":  (*poolHandle).Close,
	},
}

// streamType is the surface of a stream opened by client:stream{…}.
var streamType = &handleType[*streamHandle]{
	name: "dial stream", recv: "stream",
	methods: map[string]func(*streamHandle, *luar.LState) int{
		"next":     (*streamHandle).Next,
		"response": (*streamHandle).Response,
		"close":    (*streamHandle).Close,
	},
}

// sessionType is the surface of a session: client:session{…}, client:load_session(url).
var sessionType = &handleType[*sessionHandle]{
	name: "dial session", recv: "session",
	methods: map[string]func(*sessionHandle, *luar.LState) int{
		"say":      (*sessionHandle).Say,
		"messages": (*sessionHandle).Messages,
		"save":     (*sessionHandle).Save,
		"etag":     (*sessionHandle).Etag,
	},
}
