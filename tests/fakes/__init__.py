"""Local fakes of the Slack Web API and the Zoom REST API, served over real HTTP."""
