"""Assembly: configuration, the Slack app, the web app, the scheduler and the CLI."""
