from costline.cli import app

app()
