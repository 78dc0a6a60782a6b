"""How many web processes `python -m service` runs when SALDO_WEB_PROCESSES is unset: the cores
the embedded stores leave free (they are two busy processes on the same cores), at least one;
with MONGODB_URI, every core. An explicit SALDO_WEB_PROCESSES always wins."""
from service.runtime import settings as settings_module
from service.runtime.settings import Settings, default_web_processes


def test_embedded_stores_leave_one_web_process_on_two_cores():
    assert [default_web_processes(n, embedded=True) for n in (1, 2, 3, 4, 8)] == [1, 1, 1, 2, 6]


def test_an_external_store_gets_a_web_process_per_core():
    assert [default_web_processes(n, embedded=False) for n in (1, 2, 4)] == [1, 2, 4]


def test_the_environment_decides_by_the_machine_and_the_store(monkeypatch):
    monkeypatch.setattr(settings_module, "_cores", lambda: 2)
    assert Settings.from_env({}).web_processes == 1
    assert Settings.from_env({"MONGODB_URI": "mongodb://db:27017"}).web_processes == 2
    assert Settings.from_env({"SALDO_WEB_PROCESSES": "2"}).web_processes == 2
