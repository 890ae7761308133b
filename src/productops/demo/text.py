"""Feedback text: a dozen planted themes, each phrased many ways, in four languages.

Every phrasing of a theme contains at least one of its keywords and none of
another theme's, so the manifest's counts can be checked by keyword search while
theme discovery still has to group varied sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import product

import numpy as np
import pyarrow as pa

from productops.demo.columns import (
    Column,
    Ints,
    concat,
    strings,
)

__all__ = ["LANGUAGES", "NOISE", "THEMES", "Theme", "phrasings", "render"]

LANGUAGES = ("en", "de", "es", "fr")
NEGATIVE, REQUEST, POSITIVE = 0, 1, 2


@dataclass(frozen=True)
class Theme:
    """A planted theme: how customers phrase it, who asks for it and which team owns it."""

    name: str
    keywords: tuple[str, ...]
    team: int  # index into org.BASE_TEAMS
    item_title: str
    tone: int
    weight: float
    segment_bias: tuple[float, float, float]  # smb, mid_market, enterprise
    templates: tuple[str, ...]
    a: tuple[str, ...]
    b: tuple[str, ...]
    de: tuple[str, ...]
    es: tuple[str, ...]
    fr: tuple[str, ...]


THEMES = (
    Theme(
        "Dark mode",
        (
            "dark mode",
            "dark theme",
            "night mode",
            "dunkelmodus",
            "dunkles design",
            "modo oscuro",
            "mode sombre",
        ),
        4,
        "Dark mode for web and mobile apps",
        REQUEST,
        0.12,
        (1.0, 1.0, 1.0),
        (
            "Please add a {a} to the {b}.",
            "Is a {a} on the roadmap? The {b} is far too bright at night.",
            "My eyes hurt after long sessions, we really need a {a} in the {b}.",
            "Would love a {a} option for the {b}.",
            "Every other tool we use has a {a}. Why not yours?",
            "A {a} would make late shifts much easier on the eyes.",
        ),
        ("dark mode", "dark theme", "night mode"),
        ("web app", "mobile app", "editor", "desktop client"),
        (
            "Bitte einen Dunkelmodus einbauen, die Oberfläche ist abends viel zu hell.",
            "Gibt es Pläne für einen Dunkelmodus?",
            "Ein dunkles Design wäre für unsere Nachtschicht hilfreich.",
            "Wir wünschen uns einen Dunkelmodus für die App.",
        ),
        (
            "Por favor, añadan un modo oscuro a la aplicación.",
            "¿Está previsto un modo oscuro? La pantalla es demasiado brillante de noche.",
            "Un modo oscuro ayudaría mucho en los turnos de noche.",
        ),
        (
            "Merci d'ajouter un mode sombre, l'écran est trop lumineux le soir.",
            "Un mode sombre serait très apprécié par toute l'équipe.",
            "Le mode sombre est-il prévu ?",
        ),
    ),
    Theme(
        "App crashes on upload",
        ("crash", "stürzt", "absturz", "se cierra", "se bloquea", "plante"),
        5,
        "Fix crash when uploading large files",
        NEGATIVE,
        0.07,
        (1.0, 1.0, 1.0),
        (
            "The app crashes every time I upload a {a}{b}.",
            "Uploading a {a} makes the whole app crash{b}.",
            "Since the last update the app crashes when I upload a {a}.",
            "Uploading a {a} crashed the app three times today{b}.",
            "I keep getting a crash when uploading any {a}.",
            "Attaching a {a} crashes the app instantly and we lose our work.",
        ),
        ("photo", "PDF", "large file", "spreadsheet", "video", "scanned receipt"),
        ("", " on iOS", " on Android", " in Chrome"),
        (
            "Die App stürzt jedes Mal ab, wenn ich eine Datei hochlade.",
            "Beim Hochladen von PDFs stürzt alles ab.",
            "Seit dem Update gibt es beim Upload ständig einen Absturz.",
        ),
        (
            "La aplicación se cierra cada vez que subo un archivo.",
            "Al subir un PDF la aplicación se bloquea.",
            "Desde la última actualización la app se cierra al subir fotos.",
        ),
        (
            "L'application plante dès que j'envoie un fichier.",
            "L'envoi d'un PDF fait planter l'application.",
            "Depuis la mise à jour, l'application plante à chaque envoi de photo.",
        ),
    ),
    Theme(
        "Slow dashboard loading",
        ("dashboard", "panel de control", "tableau de bord"),
        3,
        "Speed up dashboard loading",
        NEGATIVE,
        0.10,
        (0.8, 1.0, 1.3),
        (
            "The {b} dashboard takes {a} to load.",
            "Dashboards are painfully slow, {a} before anything shows up.",
            "Loading the {b} dashboard is so slow that people stopped using it.",
            "Why does the {b} dashboard need {a} to render a few charts?",
            "The dashboard keeps spinning for {a} every morning.",
        ),
        ("30 seconds", "over a minute", "forever", "ages", "two minutes"),
        ("main", "team", "executive", "sales"),
        (
            "Das Dashboard lädt extrem langsam, oft über eine Minute.",
            "Unsere Dashboards brauchen ewig, bis etwas angezeigt wird.",
            "Das Laden des Dashboards dauert morgens mehrere Minuten.",
        ),
        (
            "El panel de control tarda muchísimo en cargar.",
            "Cada mañana el panel de control tarda más de un minuto.",
        ),
        (
            "Le tableau de bord met plus d'une minute à se charger.",
            "Le chargement du tableau de bord est beaucoup trop lent.",
        ),
    ),
    Theme(
        "Export to CSV",
        ("csv", "export"),
        0,
        "Export reports and lists to CSV",
        REQUEST,
        0.09,
        (0.8, 1.2, 1.2),
        (
            "We need to export {a} to CSV for our finance team.",
            "Please let us download {a} as a CSV file.",
            "Is there a way to export {a}? Copying by hand takes hours.",
            "CSV export of {a} is missing, which is a deal breaker for us.",
            "Our auditors want {a} in Excel, a simple export would do.",
        ),
        (
            "reports",
            "the user list",
            "all records",
            "our activity log",
            "the raw data",
            "monthly numbers",
        ),
        ("",),
        (
            "Wir brauchen einen CSV-Export für unsere Buchhaltung.",
            "Bitte eine Möglichkeit, Berichte als CSV zu exportieren.",
            "Ohne Export nach Excel können wir die Zahlen nicht prüfen.",
        ),
        (
            "Necesitamos exportar los informes a CSV.",
            "Por favor, permitan exportar la lista de usuarios.",
        ),
        (
            "Nous avons besoin d'exporter les rapports en CSV.",
            "Un export CSV des données serait indispensable.",
        ),
    ),
    Theme(
        "SSO/SAML login",
        ("sso", "saml", "single sign-on", "inicio de sesión único", "authentification unique"),
        2,
        "SAML single sign-on",
        REQUEST,
        0.06,
        (0.2, 1.0, 4.0),
        (
            "We can only roll out company-wide with SAML SSO via {a}.",
            "Please support single sign-on through {a}.",
            "Our security team requires SSO with {a} before renewal.",
            "Logging in without SSO is a compliance problem for us{b}.",
            "Is SAML on the roadmap? We use {a} for everything.",
        ),
        ("Okta", "Azure AD", "Google Workspace", "OneLogin"),
        ("", " and our auditors", " as a bank"),
        (
            "Ohne SSO über SAML dürfen wir das Tool nicht unternehmensweit einsetzen.",
            "Bitte Single Sign-on mit Okta unterstützen.",
            "Unsere IT verlangt SSO vor der Verlängerung.",
        ),
        (
            "Necesitamos inicio de sesión único (SSO) con Okta.",
            "Sin SAML no podemos usarlo en toda la empresa.",
        ),
        (
            "Nous avons besoin du SSO via SAML.",
            "L'authentification unique est obligatoire chez nous.",
        ),
    ),
    Theme(
        "Pricing too expensive",
        ("pricing", "price", "expensive", "preis", "precio", "prix", "tarif"),
        1,
        "Revise plans for small teams",
        NEGATIVE,
        0.10,
        (1.6, 0.8, 0.3),
        (
            "The new pricing is too expensive for {b}.",
            "The price went up {a} at renewal, that is hard to justify.",
            "We love the product but it is too expensive for {b}.",
            "Per-seat pricing makes it expensive to invite the whole company.",
            "Competitors offer the same for half the price.",
            "Hard to defend this price to {b}.",
        ),
        ("20%", "35%", "again", "by half"),
        ("a small nonprofit", "our startup", "a team of five", "our budget holder"),
        (
            "Der Preis ist für ein kleines Team viel zu hoch.",
            "Nach der Preiserhöhung können wir uns das kaum leisten.",
        ),
        (
            "El precio es demasiado alto para una empresa pequeña.",
            "Con la subida de precio ya no nos compensa.",
        ),
        (
            "Le prix est trop élevé pour une petite équipe.",
            "Avec la hausse de tarif, nous envisageons de partir.",
        ),
    ),
    Theme(
        "Mobile notifications",
        ("notification", "push", "benachrichtigung", "notificaci"),
        4,
        "Reliable push notifications",
        NEGATIVE,
        0.08,
        (1.0, 1.0, 1.0),
        (
            "Push notifications on {a} arrive hours late.",
            "I no longer get any notifications on my {a}.",
            "Please let us choose which push notifications we receive.",
            "Notifications on {a} are either missing or arrive twice.",
            "Mobile notifications stopped working after the update on {a}.",
        ),
        ("iPhone", "Android", "iPad", "Pixel"),
        ("",),
        (
            "Push-Benachrichtigungen kommen auf dem iPhone stundenlang verspätet.",
            "Ich bekomme keine Benachrichtigungen mehr auf Android.",
        ),
        (
            "Las notificaciones llegan con horas de retraso en Android.",
            "Ya no recibo notificaciones push en el iPhone.",
        ),
        (
            "Les notifications arrivent avec des heures de retard sur iPhone.",
            "Je ne reçois plus aucune notification push sur Android.",
        ),
    ),
    Theme(
        "Search relevance",
        ("search", "suche", "búsqueda", "recherche"),
        3,
        "Improve search relevance",
        NEGATIVE,
        0.09,
        (1.0, 1.0, 1.0),
        (
            "Search results are irrelevant, the right {a} is never on the first page.",
            "Searching for an exact {a} name returns everything except it.",
            "Search ignores typos and returns nothing useful.",
            "Finding a {a} through search is hopeless, we scroll instead.",
            "The search ranks an old {a} above the one we actually need.",
        ),
        ("document", "customer", "ticket", "project"),
        ("",),
        (
            "Die Suche findet nie das richtige Dokument.",
            "Die Suchergebnisse sind völlig irrelevant.",
        ),
        (
            "La búsqueda nunca encuentra el documento correcto.",
            "Los resultados de búsqueda no sirven para nada.",
        ),
        (
            "La recherche ne trouve jamais le bon document.",
            "Les résultats de recherche ne sont pas pertinents.",
        ),
    ),
    Theme(
        "Onboarding confusing",
        (
            "onboarding",
            "setup wizard",
            "getting started",
            "einrichtung",
            "configuración inicial",
            "prise en main",
        ),
        2,
        "Simplify the onboarding flow",
        NEGATIVE,
        0.09,
        (1.3, 1.0, 0.7),
        (
            "The onboarding is confusing, we did not know where to start.",
            "New {a} get lost during onboarding{b}.",
            "The setup wizard is confusing and skips important steps.",
            "Getting started took our team a whole week, the steps are unclear.",
            "The onboarding checklist makes no sense for {a}.",
            "Half of our {a} gave up during onboarding{b}.",
        ),
        ("users", "admins", "managers", "colleagues"),
        ("", " last month", " this quarter"),
        (
            "Die Einrichtung ist verwirrend, wir wussten nicht, wo wir anfangen sollen.",
            "Das Onboarding für neue Kollegen ist unklar.",
        ),
        (
            "La configuración inicial es confusa y nadie sabe por dónde empezar.",
            "El onboarding para nuevos usuarios es muy confuso.",
        ),
        (
            "La prise en main est déroutante pour les nouveaux utilisateurs.",
            "L'onboarding est confus, nous ne savions pas par où commencer.",
        ),
    ),
    Theme(
        "Slack integration",
        ("slack",),
        5,
        "Slack integration",
        REQUEST,
        0.06,
        (1.0, 1.0, 1.0),
        (
            "Please integrate with Slack so {a} reach our channel.",
            "The Slack integration stopped posting {a}.",
            "We would pay more for a proper Slack integration.",
            "Can we get {a} in Slack?",
            "Without Slack {a} our team misses important updates.",
        ),
        ("alerts", "daily digests", "approvals", "status updates"),
        ("",),
        (
            "Bitte eine Integration mit Slack anbieten.",
            "Die Slack-Integration postet keine Updates mehr.",
        ),
        (
            "¿Podrían integrar la herramienta con Slack?",
            "La integración con Slack dejó de funcionar.",
        ),
        (
            "Une intégration avec Slack nous ferait gagner du temps.",
            "L'intégration Slack ne publie plus rien.",
        ),
    ),
    Theme(
        "Billing errors",
        ("billing", "invoice", "charged", "rechnung", "factura", "facture"),
        0,
        "Fix invoice and billing errors",
        NEGATIVE,
        0.07,
        (1.0, 1.0, 1.0),
        (
            "We were charged twice this {a}{b}.",
            "The invoice shows the wrong number of seats{b}.",
            "Billing error: our card was charged after we downgraded.",
            "Our last invoice has a VAT mistake, please correct it.",
            "The billing page shows a failed payment, but the money left our account.",
            "We got charged this {a} for seats we removed.",
        ),
        ("month", "quarter", "week"),
        ("", " again", " for the third time"),
        (
            "Wir wurden diesen Monat doppelt belastet, bitte die Rechnung prüfen.",
            "Die Rechnung enthält die falsche Anzahl an Lizenzen.",
        ),
        (
            "Nos cobraron dos veces este mes, revisen la factura.",
            "La factura tiene un error en el IVA.",
        ),
        (
            "Nous avons été débités deux fois, la facture est fausse.",
            "La facture indique un mauvais nombre de licences.",
        ),
    ),
    Theme(
        "Data sync delays",
        ("sync", "sincroniz"),
        5,
        "Reduce data sync delays",
        NEGATIVE,
        0.07,
        (0.6, 1.2, 1.5),
        (
            "Data sync from {a} is hours behind{b}.",
            "Changes in {a} take a day to sync.",
            "The sync with {a} keeps lagging, our numbers are stale{b}.",
            "Sync delays make the reports useless for daily standups.",
            "Records from {a} show up a day late because the sync is slow.",
        ),
        ("Salesforce", "HubSpot", "our warehouse", "Jira", "Zendesk"),
        ("", " again", " all week"),
        (
            "Die Synchronisierung mit Salesforce hängt stundenlang hinterher.",
            "Daten aus HubSpot werden erst am nächsten Tag synchronisiert.",
        ),
        (
            "La sincronización con Salesforce lleva horas de retraso.",
            "Los datos de HubSpot tardan un día en sincronizarse.",
        ),
        (
            "La synchronisation avec Salesforce a des heures de retard.",
            "Les données de HubSpot mettent une journée à se synchroniser.",
        ),
    ),
)

# Feedback that belongs to no theme; it must contain no theme keyword.
NOISE = Theme(
    "",
    (),
    0,
    "",
    POSITIVE,
    0.0,
    (1.0, 1.0, 1.0),
    (
        "{a} is {b}.",
        "Thanks for the quick help yesterday.",
        "How do I change my password?",
        "Could you add me to the beta programme?",
        "We are evaluating the product for another department.",
        "Works as expected, no complaints.",
        "Please call me back about our contract.",
        "Not sure how to invite a colleague.",
        "Love the keyboard shortcuts.",
        "Can I change the owner of a workspace?",
        "Everything fine so far.",
    ),
    ("The product", "The new editor", "Your support team", "The latest release"),
    ("great", "really helpful", "solid", "fine for our needs"),
    (
        "Tolles Produkt, das Team ist begeistert.",
        "Danke für die schnelle Hilfe gestern.",
        "Wie ändere ich mein Passwort?",
        "Funktioniert wie erwartet.",
    ),
    (
        "Gran producto, al equipo le encanta.",
        "Gracias por la ayuda rápida de ayer.",
        "¿Cómo cambio mi contraseña?",
    ),
    (
        "Super produit, l'équipe l'adore.",
        "Merci pour l'aide rapide d'hier.",
        "Comment changer mon mot de passe ?",
    ),
)

_OPENERS = (
    ("", "", "", "Hi team! ", "Hello. ", "Quick note: ", "FYI: ", "Feedback from our admin: "),
    ("", "", "Hallo zusammen! ", "Kurze Rückmeldung: "),
    ("", "", "Hola equipo. ", "Comentario rápido: "),
    ("", "", "Bonjour. ", "Petit retour : "),
)
_CLOSERS = (
    (
        "",
        "",
        "",
        " Thanks!",
        " Thank you.",
        " Please look into it.",
        " This matters a lot to us.",
        " Any update?",
        " Regards.",
    ),
    ("", "", " Danke!", " Viele Grüße."),
    ("", "", " ¡Gracias!", " Saludos."),
    ("", "", " Merci !", " Cordialement."),
)


def phrasings(theme: Theme, language: int) -> tuple[str, ...]:
    """Every body text of `theme` in LANGUAGES[language], without opener or closer."""
    if language:
        return (theme.de, theme.es, theme.fr)[language - 1]
    seen = dict.fromkeys(
        t.format(a=a, b=b) for t, a, b in product(theme.templates, theme.a, theme.b)
    )
    return tuple(seen)


@cache
def _catalogue() -> tuple[Column, Ints, Ints, Column, Ints, Ints]:
    """All bodies with offsets and counts per (theme + 1, language); then openers and closers."""
    bodies: list[str] = []
    offsets = np.zeros((len(THEMES) + 1, len(LANGUAGES)), dtype=np.int64)
    counts = np.zeros_like(offsets)
    for t, theme in enumerate((NOISE, *THEMES)):
        for lang in range(len(LANGUAGES)):
            found = phrasings(theme, lang)
            offsets[t, lang], counts[t, lang] = len(bodies), len(found)
            bodies += found
    ends: list[str] = []
    end_offsets = np.zeros((2, len(LANGUAGES)), dtype=np.int64)
    end_counts = np.zeros_like(end_offsets)
    for kind, table in enumerate((_OPENERS, _CLOSERS)):
        for lang, options in enumerate(table):
            end_offsets[kind, lang], end_counts[kind, lang] = len(ends), len(options)
            ends += options
    return strings(bodies), offsets, counts, strings(ends), end_offsets, end_counts


def render(rng: np.random.Generator, theme: Ints, language: Ints) -> Column:
    """One feedback text per row: theme index (-1 for none) in language index, varied."""
    bodies, offsets, counts, ends, end_offsets, end_counts = _catalogue()
    row = theme + 1

    def pick(off: Ints, cnt: Ints) -> Column:
        return pa.array(off + (rng.random(len(row)) * cnt).astype(np.int64))

    body = bodies.take(pick(offsets[row, language], counts[row, language]))
    opener = ends.take(pick(end_offsets[0, language], end_counts[0, language]))
    closer = ends.take(pick(end_offsets[1, language], end_counts[1, language]))
    return concat(opener, body, closer)
