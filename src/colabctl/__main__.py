from colabctl.cli import main

main()
