from adapters.cli.app import main

main()
