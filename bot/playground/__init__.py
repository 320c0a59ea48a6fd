"""The playground: the real bot around a pretend Slack and Zoom (README "Try it in your browser")."""
