"""The permission catalog (docs/catalog.md) and label resolution (docs/catalog.md).

CATALOG_PERMISSIONS and CATALOG_CATEGORIES are docs/catalog.md's tables copied as they stand:
they are the contract the shipped catalog.toml is held to.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from colabctl.core.catalog import Catalog, Permission, catalog
from colabctl.errors import Invalid

# id -> (es label, risk), in the catalog's order
CATALOG_PERMISSIONS: dict[str, tuple[str, str]] = {
    "others.manage_subscriptions": ("Gestionar Suscripciones", "medium"),
    "others.approve_affiliates": ("Aprobar Afiliados", "medium"),
    "others.manage_affiliates": ("Gestionar Afiliados", "medium"),
    "products.view": ("Ver Productos", "low"),
    "purchases.resend_notifications": ("Reenviar Notificaciones", "low"),
    "purchases.resend_emails": ("Reenviar Emails de Compras", "low"),
    "purchases.issue_cash_payments": ("Emitir Pagos en Efectivo", "medium"),
    "purchases.request_refunds": ("Solicitar Reembolsos", "high"),
    "purchases.change_buyer_email": ("Cambiar email del Comprador", "high"),
    "purchases.search": ("Buscar por Compras", "low"),
    "purchases.search_by_period": ("Buscar Ventas por Período", "low"),
    "reports.purchase_recovery": ("Ver Informe de Recuperación de Compras", "low"),
    "reports.sales_by_source": ("Ver Informe de Ventas por Origen", "low"),
    "reports.sales_by_checkout_source": ("Ver Informe de Ventas por Origen de Checkout", "low"),
    "reports.payment_methods": ("Ver Informe de Formas de Pago", "medium"),
    "reports.coproduction_revenue": ("Ver Informe de Ingresos por Coproducción", "medium"),
    "reports.revenue_by_location": ("Ver Informe de Ingresos por Ubicación", "medium"),
    "reports.annual_revenue_summary": ("Ver Informe de Resumen Anual de Ingresos", "medium"),
    "reports.commissions": ("Ver Informe de Comisiones", "medium"),
    "reports.revenue_by_product": ("Ver Informe de Ingresos por Producto Detallado", "medium"),
    "reports.affiliate_payments": ("Ver Informe de Pagos a Afiliados", "medium"),
    "reports.affiliate_earnings": ("Ver Informe de Importes recibidos como Afiliado", "medium"),
    "reports.affiliate_leads": ("Ver Informe de Leads de los Afiliados", "low"),
    "reports.affiliate_performance_report": ("Ver Informe de Rendimiento de Afiliados", "low"),
    "reports.affiliate_performance": ("Ver Rendimiento de Afiliados", "low"),
    "tools.checkout_settings": ("Gestionar Configuraciones de Checkout", "high"),
    "tools.social_drm": ("Gestionar DRM social", "medium"),
    "tools.sales_funnel": ("Gestionar Embudo de Ventas", "medium"),
    "tools.listboss": ("Gestionar Listboss", "medium"),
    "tools.hotleads": ("Gestionar Hotleads", "medium"),
    "tools.alternative_pages": ("Gestionar Páginas alternativas", "medium"),
    "tools.api_notifications": ("Gestionar API y Notificaciones", "high"),
    "tools.custom_checkout": ("Gestionar Checkout Personalizado", "high"),
    "tools.bonus_delivery": ("Gestionar Entrega de Bonus", "medium"),
    "tools.dynamic_alternative_pages": ("Gestionar Páginas Alternativas Dinámicas", "medium"),
    "receipts.send": ("Enviar recibos", "low"),
    "withdrawal.withdraw": ("Retirar", "high"),
    "account.data": ("Datos de cuenta", "owner"),
    "account.bank": ("Datos bancarios", "owner"),
    "team.manage": ("Gestionar la Central de Colaboradores", "owner"),
    "account.ownership": ("Transferir o cerrar la cuenta", "owner"),
}
OWNER_ONLY = {"account.data", "account.bank", "team.manage", "account.ownership"}

# id -> (es, pt, en), in display order
CATALOG_CATEGORIES: dict[str, tuple[str, str, str]] = {
    "others": ("Otros", "Outros", "Others"),
    "products": ("Mis Productos", "Meus Produtos", "My Products"),
    "purchases": ("Compras", "Compras", "Purchases"),
    "reports": ("Informes", "Relatórios", "Reports"),
    "tools": ("Herramientas", "Ferramentas", "Tools"),
    "receipts": ("Recibos", "Recibos", "Receipts"),
    "withdrawal": ("Retirada", "Saque", "Withdrawal"),
    "owner": ("Solo el titular", "Somente o titular", "Owner only"),
}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return catalog()


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# -- the catalog's content ---------------------------------------------------------------


def test_catalog_has_the_41_ids_of_spec(cat: Catalog) -> None:
    ids = [p.id for p in cat.permissions]
    assert len(ids) == 41
    assert len(set(ids)) == 41
    assert set(ids) == set(CATALOG_PERMISSIONS)


def test_37_delegable_and_4_owner_only_in_category_owner(cat: Catalog) -> None:
    assert len(cat.delegable) == 37
    assert cat.owner_only_ids == OWNER_ONLY
    for perm in cat.permissions:
        assert perm.owner_only == (perm.id in OWNER_ONLY), perm.id
        assert (perm.category == "owner") == (perm.id in OWNER_ONLY), perm.id
    assert all(not p.owner_only for p in cat.delegable)


def test_the_servers_guard_refuses_exactly_the_owner_only_ids(cat: Catalog) -> None:
    """Migration m010's guard on a PostgreSQL store (store/pg_security.py) keeps its own
    list of the owner-only ids, written into the server's trigger: it must be the
    catalog's, or a bound login could give a profile one of them (a catalog change here
    needs a migration that rewrites the guard)."""
    from colabctl.store.pg_security import OWNER_ONLY as GUARDED

    assert set(GUARDED) == cat.owner_only_ids
    assert len(GUARDED) == len(set(GUARDED))


def test_ids_are_category_dot_action(cat: Catalog) -> None:
    for perm in cat.permissions:
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", perm.id), perm.id
        if perm.id not in OWNER_ONLY:
            assert perm.id.split(".")[0] == perm.category, perm.id


def test_es_labels_and_risks_are_spec_tables(cat: Catalog) -> None:
    found = {p.id: (p.label("es"), p.risk) for p in cat.permissions}
    assert found == CATALOG_PERMISSIONS


def test_every_permission_has_es_pt_en_labels(cat: Catalog) -> None:
    for perm in cat.permissions:
        assert set(perm.labels) == {"es", "pt", "en"}, perm.id
        for lang in ("es", "pt", "en"):
            text = perm.label(lang)
            assert isinstance(text, str)
            assert text.strip() == text != "", (perm.id, lang)
            assert text.isprintable(), (perm.id, lang)


def test_categories_in_display_order_with_spec_labels(cat: Catalog) -> None:
    assert [c.id for c in cat.categories] == list(CATALOG_CATEGORIES)
    for category in cat.categories:
        expected = CATALOG_CATEGORIES[category.id]
        assert (category.label("es"), category.label("pt"), category.label("en")) == expected
    assert {p.category for p in cat.permissions} == set(CATALOG_CATEGORIES)


def test_catalog_has_a_version(cat: Catalog) -> None:
    assert isinstance(cat.version, int)
    assert cat.version >= 1


# -- resolving a reference ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("purchases.request_refunds", "purchases.request_refunds"),
        ("  products.view ", "products.view"),
        ("Solicitar Reembolsos", "purchases.request_refunds"),
        ("solicitar reembolsos", "purchases.request_refunds"),
        ("Buscar Ventas por Periodo", "purchases.search_by_period"),  # accent left out
        ("BUSCAR VENTAS POR PERÍODO", "purchases.search_by_period"),
        ("buscar  ventas por\tperíodo", "purchases.search_by_period"),  # spacing
        ("Gestionar Paginas Alternativas Dinamicas", "tools.dynamic_alternative_pages"),
        ("Gestionar páginas alternativas", "tools.alternative_pages"),
        ("Ver Produtos", "products.view"),  # pt
        ("Emitir Boletos", "purchases.issue_cash_payments"),  # pt
        ("reenviar notificacoes", "purchases.resend_notifications"),  # pt, no accents
        ("View products", "products.view"),  # en
        ("REQUEST REFUNDS", "purchases.request_refunds"),  # en, upper case
        ("Withdraw", "withdrawal.withdraw"),  # en
        ("Datos bancarios", "account.bank"),  # owner-only ids resolve too
    ],
)
def test_resolve_by_id_or_any_label(cat: Catalog, ref: str, expected: str) -> None:
    perm = cat.resolve(ref)
    assert isinstance(perm, Permission)
    assert perm.id == expected


def test_every_label_in_every_language_resolves_to_its_permission(cat: Catalog) -> None:
    for perm in cat.permissions:
        assert cat.resolve(perm.id) is cat.by_id[perm.id]
        for lang, text in perm.labels.items():
            for variant in (text, text.upper(), text.lower(), strip_accents(text), f" {text} "):
                assert cat.resolve(variant).id == perm.id, (lang, variant)


def test_decomposed_accents_resolve(cat: Catalog) -> None:
    decomposed = unicodedata.normalize("NFD", "Buscar Ventas por Período")
    assert decomposed != "Buscar Ventas por Período"
    assert cat.resolve(decomposed).id == "purchases.search_by_period"


@pytest.mark.parametrize(
    ("ref", "closest"),
    [
        ("purchases.request_refund", "purchases.request_refunds"),
        ("products.veiw", "products.view"),
        ("solicitar reembolso", "purchases.request_refunds"),
        ("Ver Produtcos", "products.view"),
        ("withdrawal.withdraws", "withdrawal.withdraw"),
        ("Manage subscription", "others.manage_subscriptions"),
    ],
)
def test_unknown_reference_is_invalid_naming_the_closest_id(
    cat: Catalog, ref: str, closest: str
) -> None:
    with pytest.raises(Invalid) as caught:
        cat.resolve(ref)
    error = caught.value
    assert error.exit_code == 6
    assert ref.strip() in error.message
    assert error.hint is not None
    suggested = re.findall(r"\b[a-z]+\.[a-z_]+\b", error.hint)
    assert suggested, error.hint
    assert suggested[0] == closest, error.hint
    assert all(s in cat.by_id for s in suggested), error.hint


@pytest.mark.parametrize("ref", ["", "   ", "zzzzzzzzzzzzzzzzzz", "products", "products."])
def test_nonsense_is_invalid(cat: Catalog, ref: str) -> None:
    with pytest.raises(Invalid) as caught:
        cat.resolve(ref)
    assert caught.value.exit_code == 6
