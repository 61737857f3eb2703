from costline.cli import main

main()
