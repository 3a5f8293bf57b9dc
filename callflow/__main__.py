from callflow.cli import main

main()
