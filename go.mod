module github.com/licensebot/licensebot

go 1.26
