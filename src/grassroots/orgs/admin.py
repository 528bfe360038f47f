from django.contrib import admin

from .models import Affiliation, Expert, Membership, Organization, Person


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "uscc", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "name_en", "uscc")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "certificate", "home_community")
    search_fields = ("name", "name_en")


admin.site.register(Membership)
admin.site.register(Expert)
admin.site.register(Affiliation)
