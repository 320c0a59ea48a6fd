"""Every Slack message, modal and Home view the bot sends is built in this package."""
