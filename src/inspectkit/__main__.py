from inspectkit.cli import main

main()
