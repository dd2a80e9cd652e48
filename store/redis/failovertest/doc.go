// Package failovertest proves that request flows survive Redis failovers:
// its test starts a master, a replica and three Sentinels, runs requests
// through the real workflow and the sandbox portal on the bot's Sentinel
// configuration, and kills the master (SIGKILL) again and again, including
// while a request is between its store write and its portal write. It then
// checks what money depends on: no seat change doubled or lost, no request
// left half done, no operation key given to two requests.
//
// It needs redis-server on PATH; without one it skips, except under
// CI=true (or REQUIRE_REDIS=1), where it fails.
package failovertest
