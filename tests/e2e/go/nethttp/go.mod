module minisentry.test/nethttp

go 1.19
