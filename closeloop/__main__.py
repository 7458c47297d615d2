from closeloop.cli import main

main()
