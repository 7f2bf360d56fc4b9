from nvwizard.cli.main import main

raise SystemExit(main())
