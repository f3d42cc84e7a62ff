-- POST /auth/introspect (RFC 7662) over a pool of live access tokens; "active":true expected
require("common").token_scenario("/auth/introspect", '"active":true')
